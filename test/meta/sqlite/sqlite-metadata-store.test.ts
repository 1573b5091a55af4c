import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import Sqlite from 'better-sqlite3'
import { newFileBlock } from '../../../src/core/block.js'
import { isBlockStoreError } from '../../../src/core/errors.js'
import {
  SQLITE_APPLICATION_ID,
  SQLITE_SCHEMA_VERSION,
  SqliteMetadataStore,
} from '../../../src/meta/sqlite/index.js'
import { SQLITE_MIGRATIONS } from '../../../src/meta/sqlite/schema.js'

let dir = ''
let n = 0
const fresh = (): string => join(dir, `db-${n++}.sqlite`)

describe('SqliteMetadataStore', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ditto-sqlite-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('counts blocks over several slices, letting other calls run between them', async () => {
    const path = fresh()
    // Rows inserted directly: 25,000 puts through the store would take a while.
    const raw = new Sqlite(path)
    const store = await SqliteMetadataStore.open({ path })
    try {
      const insert = raw.prepare(`INSERT INTO file_blocks (id, payload_id, block_idx, hash,
        data_size, local_path, block_store_key, ref_count, last_access, created_at, state, version)
        VALUES (?, ?, ?, NULL, 1, ?, '', 1, ?, 0, ?, 1)`)
      raw.transaction(() => {
        for (let i = 0; i < 25_000; i++) {
          const state = i % 4 // Dirty, Local, Syncing, Remote
          insert.run(
            `p${i >> 4}/${i & 15}`,
            `p${i >> 4}`,
            i & 15,
            i % 8 < 4 ? '/x' : '',
            1000 + i,
            state,
          )
        }
      })()
      let ticks = 0
      const timer = setInterval(() => ticks++, 0)
      const counting = store.countBlocks()
      const other = store.getPayload('q') // runs while the count is in progress
      const c = await counting
      clearInterval(timer)
      assert.equal(await other, undefined)
      assert.deepEqual(c, {
        dirty: 6250,
        local: 12_500,
        remote: 6250,
        remoteCached: 3125,
        oldestUnsyncedAccess: 1000,
        payloads: 0,
      })
      assert.ok(ticks > 0, 'the event loop ran between slices')
    } finally {
      raw.close()
      await store.close()
    }
  })

  it('keeps a row whose put returned when the process is killed with SIGKILL', async () => {
    const path = fresh()
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'put-and-hang.ts'), path],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    )
    let out = ''
    for await (const chunk of child.stdout) {
      out += String(chunk)
      if (out.includes('ok\n')) break
    }
    child.kill('SIGKILL')
    assert.equal(await exited, 'SIGKILL')
    assert.equal(out, 'ok\n')
    await using store = await SqliteMetadataStore.open({ path })
    const row = await store.getFileBlock('killed/0')
    assert.equal(row.dataSize, 123)
    assert.equal(row.hash.toString(), '5a'.repeat(32))
    assert.equal(row.blockStoreKey, 'killed/block-0')
  })

  it('opens in WAL mode, tagged with its format version and application id', async () => {
    const path = fresh()
    await (await SqliteMetadataStore.open({ path })).close()
    const db = new Sqlite(path)
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal')
      assert.equal(db.pragma('user_version', { simple: true }), SQLITE_SCHEMA_VERSION)
      assert.equal(db.pragma('application_id', { simple: true }), SQLITE_APPLICATION_ID)
    } finally {
      db.close()
    }
  })

  it('loads rows written by the format before chunk roots, and adds the column', async () => {
    const path = fresh()
    const old = new Sqlite(path)
    // Format 2 exactly as older releases wrote it, with one uploaded block.
    old.exec(SQLITE_MIGRATIONS[0]!)
    old.exec(SQLITE_MIGRATIONS[1]!)
    old.pragma(`application_id = ${SQLITE_APPLICATION_ID}`)
    old.pragma('user_version = 2')
    old
      .prepare(`INSERT INTO file_blocks (id, payload_id, block_idx, hash, data_size, local_path,
        block_store_key, ref_count, last_access, created_at, state, version)
        VALUES ('old/0', 'old', 0, ?, 4096, '', 'blocks/5a/k', 1, 1, 1, 3, 4)`)
      .run('5a'.repeat(32))
    old.close()
    await using store = await SqliteMetadataStore.open({ path })
    const row = await store.getFileBlock('old/0')
    assert.equal(row.hash.toString(), '5a'.repeat(32))
    assert.equal(row.version, 4)
    assert.equal('chunkRoot' in row, false, 'an old row has no chunk index: read whole')
    const updated = await store.compareAndPutFileBlock({ ...row, chunkRoot: row.hash }, 4)
    assert.equal(updated?.chunkRoot?.toString(), '5a'.repeat(32))
    // Rows deleted before the migration are unknown: new rows start above every live version.
    assert.ok((await store.putFileBlock(newFileBlock('new/0', '/x'))).version > 4)
    assert.equal(await store.deleteFileBlock('old/0'), true)
    const again = await store.putFileBlock(newFileBlock('old/0', '/x'))
    assert.ok(again.version > updated!.version)
    const db = new Sqlite(path, { readonly: true })
    assert.equal(db.pragma('user_version', { simple: true }), SQLITE_SCHEMA_VERSION)
    db.close()
  })

  it('rejects a database written by a newer format with BS_UNSUPPORTED_FORMAT', async () => {
    const path = fresh()
    await (await SqliteMetadataStore.open({ path })).close()
    const db = new Sqlite(path)
    db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`)
    db.close()
    await assert.rejects(SqliteMetadataStore.open({ path }), (err) =>
      isBlockStoreError(err, 'BS_UNSUPPORTED_FORMAT'),
    )
  })

  it('rejects a foreign SQLite database with BS_UNSUPPORTED_FORMAT and leaves it untouched', async () => {
    const path = fresh()
    const db = new Sqlite(path)
    db.exec('CREATE TABLE notes (x TEXT)')
    db.close()
    await assert.rejects(SqliteMetadataStore.open({ path }), { code: 'BS_UNSUPPORTED_FORMAT' })
    const again = new Sqlite(path)
    assert.equal(again.pragma('user_version', { simple: true }), 0)
    again.close()
  })

  it('migrates once when two handles open a new file at the same time', async () => {
    const path = fresh()
    const [a, b] = await Promise.all([
      SqliteMetadataStore.open({ path }),
      SqliteMetadataStore.open({ path }),
    ])
    await a.putFileBlock(newFileBlock('m/0', '/x'))
    assert.equal((await b.getFileBlock('m/0')).version, 1)
    await a.close()
    await b.close()
  })

  it('surfaces a lock held beyond the busy timeout as BS_UNAVAILABLE with the cause', async () => {
    const path = fresh()
    await using store = await SqliteMetadataStore.open({ path, busyTimeoutMs: 20 })
    const locker = new Sqlite(path)
    locker.exec('BEGIN EXCLUSIVE')
    try {
      await assert.rejects(store.putFileBlock(newFileBlock('b/0', '/x')), (err) => {
        assert.ok(isBlockStoreError(err, 'BS_UNAVAILABLE'))
        assert.equal((err.cause as { code?: string }).code, 'SQLITE_BUSY')
        return true
      })
    } finally {
      locker.exec('ROLLBACK')
      locker.close()
    }
    await store.putFileBlock(newFileBlock('b/0', '/x'))
  })

  it('rejects an unopenable path with BS_UNAVAILABLE', async () => {
    // A missing folder is created (a new user's ./data); a file where a folder must be is not.
    await writeFile(join(dir, 'plain-file'), 'x')
    await assert.rejects(SqliteMetadataStore.open({ path: join(dir, 'plain-file', 'x.db') }), {
      code: 'BS_UNAVAILABLE',
    })
  })
})
