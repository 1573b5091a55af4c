import assert from 'node:assert/strict'
import { truncate } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { pattern, readLocal } from '../../../src/conformance/local-store/fixture.js'
import { BlockState } from '../../../src/core/block.js'
import type { MetadataStore } from '../../../src/core/metadata-store.js'
import type { FsLocalStore } from '../../../src/local/fs/fs-local-store.js'
import type { SqliteMetadataStore } from '../../../src/meta/sqlite/index.js'
import { powerLossKit } from './power-loss-kit.js'

/**
 * A journaled flush returns once its journal records are durable; its metadata commit is made
 * but synced only by the next checkpoint. These tests take a power loss between the two: the
 * SQLite files are put back as they were at the last sync (what a disk keeps of a WAL whose
 * later frames were never synced), the block files lose their unsynced bytes, and the journal
 * must bring back everything the flushes acknowledged.
 */
const setup = powerLossKit

describe('flush journal: a metadata commit lost after its records were durable', () => {
  it('restores the payload record and rows of new and grown payloads from the records', async (t) => {
    const { open, snapshot, powerLoss, layout } = await setup(t)
    const first = await open()
    await first.store.writeAt('old', pattern(4096, 1), 0)
    await first.store.flush('old')
    // Retires the records: block files and metadata durable, as the snapshot then keeps.
    await first.store.checkpoint()
    await snapshot()
    await first.store.writeAt('new', pattern(4096, 2), 0)
    await first.store.flush('new')
    await first.store.writeAt('old', pattern(4096, 3), 4096)
    await first.store.flush('old')
    assert.equal((await first.metadata.getPayload('new'))?.size, 4096, 'committed, not synced')
    await powerLoss(first)
    // What was never synced on the file side is gone too (with packs there are no files:
    // the records in the journal are the copies).
    const cut = (path: string, size: number) =>
      truncate(path, size).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err
      })
    await cut(layout.blockPath('new', 0), 0)
    await cut(layout.blockPath('old', 0), 4096)

    const again = await open()
    assert.equal(again.store.recovery?.journalPayloadsRestored, 2)
    assert.equal(await again.store.getFileSize('new'), 4096)
    assert.deepEqual(await readLocal(again.store, 'new', 0, 4096), pattern(4096, 2))
    assert.equal(await again.store.getFileSize('old'), 8192)
    assert.deepEqual(await readLocal(again.store, 'old', 0, 4096), pattern(4096, 1))
    assert.deepEqual(await readLocal(again.store, 'old', 4096, 4096), pattern(4096, 3))
    for (const id of ['new/0', 'old/0']) {
      const row = await again.metadata.getFileBlock(id)
      assert.equal(row.state, BlockState.Local, id)
      assert.equal(row.dataSize, id === 'new/0' ? 4096 : 8192, id)
    }
  })

  it('a checkpoint makes the deferred commits durable before it retires their records', async (t) => {
    const { open, snapshot, powerLoss } = await setup(t)
    const first = await open()
    const syncs = first.metadata.walSyncs
    await first.store.writeAt('p', pattern(4096, 4), 0)
    await first.store.flush('p')
    assert.equal(first.metadata.walSyncs, syncs, 'the flush waited for no metadata sync')
    await first.store.checkpoint()
    assert.equal(first.metadata.walSyncs, syncs + 1, 'the checkpoint synced the metadata')
    // Now the journal is empty: only the synced metadata can speak for the flush.
    await snapshot()
    await powerLoss(first)
    const again = await open()
    assert.equal(again.store.recovery?.journalReplayed, 0)
    assert.deepEqual(await readLocal(again.store, 'p', 0, 4096), pattern(4096, 4))
  })

  it('a flush overtaken by a checkpoint between its append and its commit syncs for itself', async (t) => {
    const { open, snapshot, powerLoss } = await setup(t)
    let store: FsLocalStore | undefined
    let overtake = false
    // The metadata store as the tier sees it: every sync is followed by a snapshot (what a
    // power loss keeps), and the flush's payload record commit can be made to wait for a
    // whole checkpoint first, the interleaving a timer-driven checkpoint can produce.
    const wrap = (m: SqliteMetadataStore): MetadataStore =>
      new Proxy(m, {
        get(target, key) {
          if (key === 'sync') {
            return async () => {
              await target.sync()
              await snapshot()
            }
          }
          if (key === 'putPayload') {
            return async (...args: Parameters<MetadataStore['putPayload']>) => {
              if (overtake) {
                overtake = false
                await store?.checkpoint()
              }
              return target.putPayload(...args)
            }
          }
          const v = Reflect.get(target, key, target) as unknown
          return typeof v === 'function' ? v.bind(target) : v
        },
      })
    const first = await open(wrap)
    store = first.store
    await first.store.writeAt('p', pattern(4096, 5), 0)
    await first.store.flush('p')
    await first.store.checkpoint()
    // A new payload: without its record, recovery would take it for one never flushed.
    await first.store.writeAt('q', pattern(4096, 6), 0)
    overtake = true
    await first.store.flush('q')
    assert.equal(overtake, false, 'the checkpoint ran inside the flush')
    assert.equal(first.store.journalStats()?.uncovered, 1)
    // The records are retired: only what was synced can speak for the second flush.
    await powerLoss(first)
    const again = await open()
    assert.equal(again.store.recovery?.journalReplayed, 0)
    assert.equal(await again.store.getFileSize('q'), 4096)
    assert.deepEqual(await readLocal(again.store, 'q', 0, 4096), pattern(4096, 6))
    assert.deepEqual(await readLocal(again.store, 'p', 0, 4096), pattern(4096, 5))
  })
})
