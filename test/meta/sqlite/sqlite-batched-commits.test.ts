/**
 * The SQLite store commits the mutations issued in one turn of the event loop as one
 * transaction, each in a savepoint: these tests hold it to what unbatched commits promised.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import Sqlite from 'better-sqlite3'
import { block } from '../../../src/conformance/metadata-store/fixtures.js'
import { isBlockStoreError } from '../../../src/core/errors.js'
import { SqliteMetadataStore } from '../../../src/meta/sqlite/index.js'

let dir = ''
let n = 0
const fresh = (): string => join(dir, `db-${n++}.sqlite`)

describe('SqliteMetadataStore batched commits', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ditto-sqlite-batch-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('mutations issued together commit as one transaction and share one WAL sync', async () => {
    const path = fresh()
    const store = await SqliteMetadataStore.open({ path })
    try {
      const before = store.commitBatches
      const syncs = store.walSyncs
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.putFileBlock(block(`b/${i}`))))
      const after = store.commitBatches
      assert.equal(after.writes - before.writes, 50)
      assert.equal(after.batches - before.batches, 1, 'one transaction')
      assert.equal(store.walSyncs - syncs, 1, 'one fdatasync')
      // Durable: another connection sees every row.
      const other = new Sqlite(path, { readonly: true })
      try {
        const row = other.prepare('SELECT count(*) AS n FROM file_blocks').get() as { n: number }
        assert.equal(row.n, 50)
      } finally {
        other.close()
      }
    } finally {
      await store.close()
    }
  })

  it('one failing mutation of a batch rejects alone; the others commit', async () => {
    const store = await SqliteMetadataStore.open({ path: fresh() })
    try {
      await store.putFileBlock(block('c/0'))
      const stale = (await store.getFileBlock('c/0')).version
      await store.compareAndPutFileBlock(block('c/0', { dataSize: 2 }), stale)
      const results = await Promise.allSettled([
        store.putFileBlock(block('c/1')),
        // Not found: thrown from inside the batch's transaction.
        store.deleteFileBlock('c/9'),
        // A lost compare-and-set: no error, no change.
        store.compareAndPutFileBlock(block('c/0', { dataSize: 3 }), stale),
        store.putFileBlock(block('c/2')),
      ])
      assert.equal(results[0].status, 'fulfilled')
      assert.equal(results[1].status, 'rejected')
      assert.ok(
        results[1].status === 'rejected' &&
          isBlockStoreError(results[1].reason, 'BS_FILE_BLOCK_NOT_FOUND'),
      )
      assert.deepEqual(results[2], { status: 'fulfilled', value: undefined })
      assert.equal(results[3].status, 'fulfilled')
      assert.equal((await store.getFileBlock('c/0')).dataSize, 2)
      assert.ok(await store.findFileBlock?.('c/1'))
      assert.ok(await store.findFileBlock?.('c/2'))
    } finally {
      await store.close()
    }
  })

  it('keeps the order calls were made: a read right after a mutation sees it', async () => {
    const store = await SqliteMetadataStore.open({ path: fresh() })
    try {
      const put = store.putFileBlock(block('o/1'))
      // Not awaited: the read still comes after the put, and sees it.
      const read = store.findFileBlock?.('o/1')
      const del = store.deleteFileBlock('o/1')
      const again = store.findFileBlock?.('o/1')
      await put
      assert.ok(await read)
      assert.equal(await del, true)
      assert.equal(await again, undefined)
    } finally {
      await store.close()
    }
  })

  it('close commits the mutations already issued', async () => {
    const path = fresh()
    const store = await SqliteMetadataStore.open({ path })
    const puts = Array.from({ length: 5 }, (_, i) => store.putFileBlock(block(`z/${i}`)))
    await store.close()
    await Promise.all(puts)
    const reopened = await SqliteMetadataStore.open({ path })
    try {
      for (let i = 0; i < 5; i++) assert.ok(await reopened.findFileBlock?.(`z/${i}`))
    } finally {
      await reopened.close()
    }
  })
})
