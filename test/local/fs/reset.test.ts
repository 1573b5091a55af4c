/**
 * Reset (`resetPayload`): a payload's whole content replaced by one journal record. Checked
 * live, after a kill, and after a power loss that undid every commit the reset made after its
 * record (the SQLite files put back to the last sync before it).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pattern, readLocal } from '../../../src/conformance/local-store/fixture.js'
import { BlockState, newFileBlock } from '../../../src/core/block.js'
import { BlockSize } from '../../../src/core/constants.js'
import { isBlockStoreError } from '../../../src/core/errors.js'
import { ContentHash } from '../../../src/core/hash.js'
import type { MetadataStore } from '../../../src/core/metadata-store.js'
import { RESET_MAX_BYTES } from '../../../src/local/common/ops/reset.js'
import { MemoryLocalStore } from '../../../src/local/memory/memory-local-store.js'
import { MemoryMetadataStore } from '../../../src/meta/memory/memory-metadata-store.js'
import type { SqliteMetadataStore } from '../../../src/meta/sqlite/index.js'
import { type Opened, powerLossKit } from './power-loss-kit.js'

/** Two blocks: a whole first one and 100 bytes of a second. */
const OLD_SIZE = BlockSize + 100

async function withOldPayload(o: Opened, pid = 'p'): Promise<void> {
  await o.store.writeAt(pid, pattern(OLD_SIZE, 1), 0)
  await o.store.flush(pid)
  await o.store.checkpoint()
}

/**
 * Block 1 of `p` written whole (its row Local at once), then what the syncer and eviction do
 * before any flush: uploaded (row Remote), its local copy dropped.
 */
async function wholeBlockUploadedAndEvicted(o: Opened): Promise<void> {
  await o.store.writeAt('p', pattern(BlockSize, 4), BlockSize)
  const row = await o.metadata.getFileBlock('p/1')
  assert.equal(row.state, BlockState.Local, 'a completed block is Local at once')
  await o.metadata.compareAndPutFileBlock(
    {
      ...row,
      state: BlockState.Remote,
      hash: ContentHash.fromBytes(new Uint8Array(32).fill(9)),
      blockStoreKey: 'blocks/new-object',
    },
    row.version,
  )
  assert.equal(await o.store.evictBlock('p', 1), true)
}

async function rowIds(o: Opened, pid = 'p'): Promise<string[]> {
  return (await o.metadata.listFileBlocks(pid)).map((r) => r.id).sort()
}

describe('resetPayload (fs store, journal)', () => {
  it('replaces a small payload with one journal sync and no metadata sync', async (t) => {
    const { open } = await powerLossKit(t)
    const o = await open()
    await o.store.writeAt('small', pattern(3000, 1), 0)
    await o.store.flush('small')
    await o.store.checkpoint()
    const batches = o.store.journalStats()?.batches ?? 0
    const walSyncs = o.metadata.walSyncs
    assert.equal(await o.store.resetPayload('small', pattern(2000, 2)), 'replaced')
    assert.equal(o.store.journalStats()?.batches, batches + 1, 'one journal sync')
    assert.equal(o.metadata.walSyncs, walSyncs, 'no metadata sync waited for')
    assert.equal(await o.store.getFileSize('small'), 2000)
    assert.deepEqual(await readLocal(o.store, 'small', 0, 2000), pattern(2000, 2))
    // A new payload comes into being the same way.
    assert.equal(await o.store.resetPayload('fresh', pattern(10, 3)), 'created')
    assert.deepEqual(await readLocal(o.store, 'fresh', 0, 10), pattern(10, 3))
  })

  it('replaces a two-block payload: the second block goes, rows and record follow', async (t) => {
    const { open } = await powerLossKit(t)
    const o = await open()
    await withOldPayload(o)
    assert.equal(await o.store.resetPayload('p', pattern(4096, 2)), 'replaced')
    assert.equal(await o.store.getFileSize('p'), 4096)
    assert.deepEqual(await readLocal(o.store, 'p', 0, 4096), pattern(4096, 2))
    assert.deepEqual(await rowIds(o), ['p/0'])
    const row = await o.metadata.getFileBlock('p/0')
    assert.equal(row.state, BlockState.Local)
    assert.equal(row.dataSize, 4096)
    assert.equal((await o.metadata.getPayload('p'))?.size, 4096)
  })

  it('creates a payload over rows of an earlier life: they are purged, none survives', async (t) => {
    const { open } = await powerLossKit(t)
    const o = await open()
    // Rows a crash before a first flush leaves behind: no payload record, two blocks.
    for (const idx of [0, 1]) {
      const ghost = newFileBlock(`ghost/${idx}`, '')
      assert.ok(await o.metadata.compareAndPutFileBlock({ ...ghost, dataSize: 10 }, 0))
    }
    assert.equal(await o.store.getFileSize('ghost'), undefined)
    assert.equal(await o.store.resetPayload('ghost', pattern(700, 3)), 'created')
    assert.deepEqual(await rowIds(o, 'ghost'), ['ghost/0'])
    assert.equal((await o.metadata.getFileBlock('ghost/0')).dataSize, 700)
    assert.deepEqual(await readLocal(o.store, 'ghost', 0, 700), pattern(700, 3))
    // Created once: the next reset of it replaces.
    assert.equal(await o.store.resetPayload('ghost', pattern(20, 4)), 'replaced')
  })

  it('declines, changing nothing, what one record cannot hold or a store without journal', async (t) => {
    const { open } = await powerLossKit(t)
    const o = await open()
    await withOldPayload(o)
    assert.equal(await o.store.resetPayload('p', new Uint8Array(0)), false)
    assert.equal(await o.store.resetPayload('p', new Uint8Array(RESET_MAX_BYTES + 1)), false)
    assert.equal(await o.store.getFileSize('p'), OLD_SIZE)
    assert.deepEqual(
      await readLocal(o.store, 'p', BlockSize, 100),
      pattern(OLD_SIZE, 1).subarray(BlockSize),
    )
    const metadata = await MemoryMetadataStore.open()
    const memory = await MemoryLocalStore.open({ metadata })
    t.after(async () => {
      await memory.close()
      await metadata.close()
    })
    assert.equal(await memory.resetPayload('m', pattern(10, 1)), false)
    assert.equal(await memory.getFileSize('m'), undefined)
  })

  it('survives a kill: the reopened store has the new content', async (t) => {
    const { open, powerLoss, snapshot } = await powerLossKit(t)
    const o = await open()
    await withOldPayload(o)
    await o.store.resetPayload('p', pattern(5000, 4))
    // A kill keeps every write the process made: the snapshot is taken now.
    await o.metadata.sync()
    await snapshot()
    await powerLoss(o)
    const again = await open()
    assert.equal(await again.store.getFileSize('p'), 5000)
    assert.deepEqual(await readLocal(again.store, 'p', 0, 5000), pattern(5000, 4))
    assert.deepEqual(await rowIds(again), ['p/0'])
  })

  it('after a power loss that undid its commits, the record alone gives the new content', async (t) => {
    const { open, powerLoss, snapshot } = await powerLossKit(t)
    const o = await open()
    await withOldPayload(o)
    // The first block as an upload and an eviction would leave it: Remote, no local copy.
    const row = await o.metadata.getFileBlock('p/0')
    await o.metadata.compareAndPutFileBlock(
      {
        ...row,
        state: BlockState.Remote,
        hash: ContentHash.fromBytes(new Uint8Array(32).fill(7)),
        blockStoreKey: 'blocks/old-object',
      },
      row.version,
    )
    await o.metadata.sync()
    await snapshot()
    // A journaled flush of the second block before the reset: its record must not outlive it.
    await o.store.writeAt('p', pattern(50, 8), BlockSize)
    await o.store.flush('p')
    assert.equal(await o.store.resetPayload('p', pattern(3000, 5)), 'replaced')
    // Unflushed: gone with the power loss. (A flush here would first retire the reset record,
    // syncing the reset's commits: see the flush cases below.)
    await o.store.writeAt('p', pattern(2000, 6), 3000)
    await powerLoss(o)

    const again = await open()
    assert.equal(await again.store.getFileSize('p'), 3000, 'the size set exactly, not only grown')
    assert.deepEqual(await readLocal(again.store, 'p', 0, 3000), pattern(3000, 5))
    assert.deepEqual(await rowIds(again), ['p/0'], 'the old second block is gone')
    const first = await again.metadata.getFileBlock('p/0')
    assert.equal(first.state, BlockState.Local)
    assert.equal(first.blockStoreKey, '', 'the old object is no longer referenced')
    assert.equal(first.dataSize, 3000)
  })

  it('a flush with nothing to journal after a reset outlives the reset record (kill)', async (t) => {
    // Found by a 62-minute torture: reset, then a whole block written (its row Local at once),
    // uploaded and evicted before the flush. The flush then had no block to journal, stored
    // the new size without waiting (as journaled flushes do) and left the reset record in
    // place; recovery replayed it over the acknowledged flush: 8 MiB lost.
    const { open, powerLoss, snapshot } = await powerLossKit(t)
    const o = await open()
    await withOldPayload(o)
    assert.equal(await o.store.resetPayload('p', pattern(1500, 3)), 'replaced')
    await wholeBlockUploadedAndEvicted(o)
    await o.store.flush('p')
    // A kill keeps every write the process made: the snapshot is taken now.
    await o.metadata.sync()
    await snapshot()
    await powerLoss(o)

    const again = await open()
    assert.equal(await again.store.getFileSize('p'), 2 * BlockSize, 'the flushed size')
    assert.deepEqual(await rowIds(again), ['p/0', 'p/1'], 'the flushed block kept')
    assert.equal((await again.metadata.getFileBlock('p/1')).blockStoreKey, 'blocks/new-object')
    assert.deepEqual(await readLocal(again.store, 'p', 0, 1500), pattern(1500, 3))
  })

  it('a journaled flush after a reset keeps blocks that changed outside the journal (kill)', async (t) => {
    // The same race with a small change too: the flush journals block 0 only, and a replay of
    // the reset with it would keep block 0 and drop block 1 (read back as zeros).
    const { open, powerLoss, snapshot } = await powerLossKit(t)
    const o = await open()
    await withOldPayload(o)
    assert.equal(await o.store.resetPayload('p', pattern(1500, 3)), 'replaced')
    await wholeBlockUploadedAndEvicted(o)
    await o.store.writeAt('p', pattern(100, 5), 0)
    await o.store.flush('p')
    await o.metadata.sync()
    await snapshot()
    await powerLoss(o)

    const again = await open()
    assert.equal(await again.store.getFileSize('p'), 2 * BlockSize)
    assert.deepEqual(await rowIds(again), ['p/0', 'p/1'], 'the flushed block kept')
    assert.equal((await again.metadata.getFileBlock('p/1')).blockStoreKey, 'blocks/new-object')
    const want = pattern(1500, 3)
    want.set(pattern(100, 5), 0)
    assert.deepEqual(await readLocal(again.store, 'p', 0, 1500), want)
  })

  it('a reset that fails after its record breaks the payload until a reopen finishes it', async (t) => {
    const { open, powerLoss, snapshot } = await powerLossKit(t)
    let fail = false
    const wrap = (m: SqliteMetadataStore): MetadataStore =>
      new Proxy(m, {
        get(target, key) {
          if (key === 'putPayload') {
            return async (...args: Parameters<MetadataStore['putPayload']>) => {
              if (fail) throw new Error('disk gone')
              return target.putPayload(...args)
            }
          }
          const v = Reflect.get(target, key, target) as unknown
          return typeof v === 'function' ? v.bind(target) : v
        },
      })
    const o = await open(wrap)
    await withOldPayload(o)
    fail = true
    await assert.rejects(o.store.resetPayload('p', pattern(4096, 7)), (err: unknown) =>
      isBlockStoreError(err, 'BS_UNAVAILABLE'),
    )
    fail = false
    // Neither the old nor half of the new content is served meanwhile.
    await assert.rejects(readLocal(o.store, 'p', 0, 10), (err: unknown) =>
      isBlockStoreError(err, 'BS_UNAVAILABLE'),
    )
    // No checkpoint may retire the record: it is what the reopen replays.
    await assert.rejects(o.store.checkpoint())
    await o.metadata.sync()
    await snapshot()
    await powerLoss(o)
    const again = await open()
    assert.equal(await again.store.getFileSize('p'), 4096)
    assert.deepEqual(await readLocal(again.store, 'p', 0, 4096), pattern(4096, 7))
    assert.deepEqual(await rowIds(again), ['p/0'])
  })
})
