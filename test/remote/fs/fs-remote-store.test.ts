import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import { listKeys, rejectsCode } from '../../../src/conformance/remote-store-assert.js'
import { FORMAT_FILE } from '../../../src/remote/fs/format-file.js'
import { FsRemoteStore } from '../../../src/remote/fs/fs-remote-store.js'

let scratch: string
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'ditto-fs-remote-test-'))
})
after(() => rm(scratch, { recursive: true, force: true }))

let n = 0
const freshRoot = (): string => join(scratch, `root-${n++}`)
const utf8Order = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))

async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)))
}

describe('FsRemoteStore', () => {
  it('keeps keys with .., absolute paths, NUL and 1,000-byte segments inside the root', async () => {
    const root = freshRoot()
    await using s = await FsRemoteStore.open({ root })
    const keys = [
      '../../escape/block-0',
      '/etc/passwd/block-0',
      'a/../../b/block-0',
      'nul\0byte/block-0',
      `${'long'.repeat(250)}/block-0`,
      `x/${'é'.repeat(400)}`,
      '',
      'trailing/',
    ]
    for (const [i, k] of keys.entries()) await s.writeBlock(k, new Uint8Array([i]))
    for (const [i, k] of keys.entries()) assert.deepEqual(await s.readBlock(k), new Uint8Array([i]))
    assert.deepEqual(
      await readdir(scratch),
      (await readdir(scratch)).filter((d) => d.startsWith('root-')),
    )
    assert.deepEqual(await listKeys(s, ''), [...keys].sort(utf8Order))
    for (const f of await allFiles(root)) assert.ok(!f.startsWith('..'), f)
  })

  it('lists any set of keys in UTF-8 order and filters by any prefix', async () => {
    const segment = fc
      .array(fc.constantFrom('a', 'A', '.', '%', '+', ' ', 'é', '🎉', '/', '-'), { maxLength: 6 })
      .map((chars) => chars.join(''))
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(
          fc.oneof(
            segment,
            segment.map((s) => s + 'z'.repeat(210)),
          ),
          {
            maxLength: 12,
          },
        ),
        segment,
        async (keys, prefix) => {
          const root = freshRoot()
          await using s = await FsRemoteStore.open({ root })
          for (const k of keys) await s.writeBlock(k, new Uint8Array([1]))
          const sorted = [...keys].sort(utf8Order)
          assert.deepEqual(await listKeys(s, ''), sorted)
          const matching = sorted.filter((k) => k.startsWith(prefix))
          assert.deepEqual(await listKeys(s, prefix), matching)
          for (const k of matching) await s.deleteBlock(k)
          assert.deepEqual(
            await listKeys(s, ''),
            sorted.filter((k) => !k.startsWith(prefix)),
          )
          await rm(root, { recursive: true })
        },
      ),
      { numRuns: 40 },
    )
  })

  it('objects survive close and reopen', async () => {
    const root = freshRoot()
    const a = await FsRemoteStore.open({ root })
    await a.writeBlock('p/block-0', new Uint8Array([1, 2, 3]))
    await a.close()
    await using b = await FsRemoteStore.open({ root })
    assert.deepEqual(await b.readBlock('p/block-0'), new Uint8Array([1, 2, 3]))
  })

  it('leaves no temporary files and prunes emptied directories', async () => {
    const root = freshRoot()
    await using s = await FsRemoteStore.open({ root })
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        s.writeBlock(`deep/er/f${i}/block-0`, new Uint8Array(10)),
      ),
    )
    assert.ok((await allFiles(root)).every((f) => !f.split('/').at(-1)!.startsWith('.tmp')))
    for (let i = 0; i < 20; i++) await s.deleteBlock(`deep/er/f${i}/block-0`)
    assert.deepEqual(await readdir(root), [FORMAT_FILE])
  })

  it('refuses a directory written by a newer format with BS_UNSUPPORTED_FORMAT', async () => {
    const root = freshRoot()
    await (await FsRemoteStore.open({ root })).close()
    const format = { format: 'ditto-blockstore/fs-remote', version: 99 }
    await writeFile(join(root, FORMAT_FILE), JSON.stringify(format))
    await rejectsCode(FsRemoteStore.open({ root }), 'BS_UNSUPPORTED_FORMAT')
  })

  it('refuses a non-empty directory that is not a store with BS_INVALID_CONFIG', async () => {
    const root = freshRoot()
    await mkdir(root)
    await writeFile(join(root, 'holiday.jpg'), 'x')
    await rejectsCode(FsRemoteStore.open({ root }), 'BS_INVALID_CONFIG')
  })

  it('rejects a key with a lone surrogate with BS_INVALID_ARGUMENT', async () => {
    await using s = await FsRemoteStore.open({ root: freshRoot() })
    await rejectsCode(s.writeBlock('bad\uD800/block-0', new Uint8Array(1)), 'BS_INVALID_ARGUMENT')
  })

  it('reports unhealthy when the root disappears', async () => {
    const root = freshRoot()
    await using s = await FsRemoteStore.open({ root })
    await rm(root, { recursive: true })
    assert.equal((await s.healthcheck()).status, 'unhealthy')
  })
})
