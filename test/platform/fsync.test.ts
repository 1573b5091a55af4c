import assert from 'node:assert/strict'
import { existsSync, statSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { SqliteMetadataStore } from '../../src/meta/sqlite/index.js'
import { fsyncPath, mkdirDurable } from '../../src/platform/fsync.js'

describe('mkdirDurable', () => {
  let dir = ''
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ditto-fsync-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('creates every missing parent', async () => {
    const target = join(dir, 'a', 'b', 'c')
    await mkdirDurable(target)
    assert.ok(statSync(target).isDirectory())
  })

  it('accepts a directory that already exists', async () => {
    await mkdirDurable(dir)
    await mkdirDurable(join(dir, 'a', 'b'))
    assert.ok(statSync(join(dir, 'a', 'b', 'c')).isDirectory())
  })

  it('fails when a path component is a file, creating nothing below it', async () => {
    await writeFile(join(dir, 'file'), 'x')
    await assert.rejects(mkdirDurable(join(dir, 'file', 'sub')), { code: 'ENOTDIR' })
    await assert.rejects(fsyncPath(join(dir, 'missing')), { code: 'ENOENT' })
  })

  it('lets a SQLite store open in a folder that does not exist yet', async () => {
    const path = join(dir, 'fresh', 'data', 'meta.db')
    const store = await SqliteMetadataStore.open({ path })
    try {
      assert.ok(existsSync(path))
      assert.equal((await store.listPayloads()).items.length, 0)
    } finally {
      await store.close()
    }
  })
})
