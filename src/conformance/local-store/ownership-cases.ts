/**
 * Row ownership and remote interplay: writes into synced blocks (made Dirty with the stale
 * remote key dropped), read-modify-write through the loader (the bytes around a partial write
 * are kept, not zeroed), remote-only reads (reported, never zero-filled), dropped references.
 */
import assert from 'node:assert/strict'
import { BlockState } from '../../core/block.js'
import { BlockSize } from '../../core/constants.js'
import { isBlockStoreError } from '../../core/errors.js'
import type { Harness } from '../harness.js'
import type { WithFixture } from './fixture.js'
import { dirtyOrDeferred, pattern, readLocal, row, syncBlock } from './fixture.js'

/** Registers the ownership cases. */
export function registerOwnershipCases(h: Harness, withFixture: WithFixture): void {
  const withRemote: WithFixture = (fn) => withFixture(fn, true)

  h.it(
    'a write into a Remote block turns it Dirty with hash and key cleared and reports the key',
    withRemote(async (f, remote) => {
      await f.store.writeAt('p', pattern(4096), 0)
      await f.store.flush('p')
      const synced = await syncBlock(f, remote, 'p', 0)
      await f.store.writeAt('p', pattern(8, 2), 10)
      const dirty = await row(f, 'p', 0)
      assert.equal(dirty.state, BlockState.Dirty)
      assert.equal(dirty.blockStoreKey, '')
      assert.ok(dirty.hash.isZero())
      assert.equal(remote.dropped.length, 1)
      assert.equal(remote.dropped[0]?.blockStoreKey, synced.blockStoreKey)
      await f.store.flush('p')
      const local = await row(f, 'p', 0)
      assert.equal(local.state, BlockState.Local)
      assert.equal(local.dataSize, 4096)
    }),
  )

  h.it(
    'a partial write into an evicted block merges with the remote bytes',
    withRemote(async (f, remote) => {
      const data = pattern(10_000, 4)
      await f.store.writeAt('p', data, 0)
      await f.store.flush('p')
      await syncBlock(f, remote, 'p', 0)
      assert.equal(await f.store.evictBlock('p', 0), true)
      assert.equal(await f.store.isBlockLocal('p', 0), false)
      const patch = pattern(100, 8)
      await f.store.writeAt('p', patch, 5000)
      assert.equal(remote.loads, 1)
      const expected = Uint8Array.from(data)
      expected.set(patch, 5000)
      assert.deepEqual(await readLocal(f.store, 'p', 0, 10_000), expected)
      await f.store.flush('p')
      assert.equal((await row(f, 'p', 0)).dataSize, 10_000)
    }),
  )

  h.it(
    'a partial write into an evicted block without a loader fails cleanly and changes nothing',
    withFixture(async (f) => {
      await f.store.writeAt('p', pattern(10_000), 0)
      await f.store.flush('p')
      const before = await syncBlock(f, undefined, 'p', 0)
      assert.equal(await f.store.evictBlock('p', 0), true)
      const evicted = await row(f, 'p', 0)
      await assert.rejects(f.store.writeAt('p', pattern(10), 5), (e) =>
        isBlockStoreError(e, 'BS_REMOTE_UNAVAILABLE'),
      )
      const after = await row(f, 'p', 0)
      assert.equal(after.version, evicted.version)
      assert.equal(after.blockStoreKey, before.blockStoreKey)
      assert.equal(after.state, BlockState.Remote)
      assert.equal(await f.store.getFileSize('p'), 10_000)
    }),
  )

  h.it(
    'a read of a remote-only block reports it and leaves its bytes of dest untouched',
    withFixture(async (f) => {
      await f.store.writeAt('p', pattern(BlockSize + 100), 0)
      await f.store.flush('p')
      await syncBlock(f, undefined, 'p', 0)
      assert.equal(await f.store.evictBlock('p', 0), true)
      const dest = new Uint8Array(BlockSize + 100).fill(0xee)
      const r = await f.store.readAt('p', dest, 0)
      assert.deepEqual(r.remoteBlocks, [0])
      assert.equal(r.length, BlockSize + 100)
      assert.ok(dest.subarray(0, BlockSize).every((b) => b === 0xee))
      assert.deepEqual(dest.subarray(BlockSize), pattern(BlockSize + 100).subarray(BlockSize))
    }),
  )

  h.it(
    'truncate deletes rows past the end after reporting their remote keys',
    withRemote(async (f, remote) => {
      await f.store.writeAt('p', pattern(2 * BlockSize + 10), 0)
      await f.store.flush('p')
      await syncBlock(f, remote, 'p', 2)
      await f.store.truncate('p', BlockSize)
      assert.deepEqual(
        remote.dropped.map((r) => r.blockStoreKey),
        ['p/block-2'],
      )
      const rows = await f.metadata.listFileBlocks('p')
      assert.deepEqual(
        rows.map((r) => r.id),
        ['p/0'],
      )
      assert.equal(await f.store.isBlockLocal('p', 1), false)
      assert.equal((await f.metadata.getPayload('p'))?.size, BlockSize)
    }),
  )

  h.it(
    'delete reports every remote key before removing the rows',
    withRemote(async (f, remote) => {
      await f.store.writeAt('p', pattern(BlockSize + 10), 0)
      await f.store.flush('p')
      await syncBlock(f, remote, 'p', 0)
      await syncBlock(f, remote, 'p', 1)
      await f.store.evictBlock('p', 1)
      await f.store.delete('p')
      assert.deepEqual(remote.dropped.map((r) => r.blockStoreKey).sort(), [
        'p/block-0',
        'p/block-1',
      ])
      assert.deepEqual(await f.metadata.listFileBlocks('p'), [])
    }),
  )

  h.it(
    'a write that completes a block makes it Local before any flush; the next write dirties it',
    withFixture(async (f) => {
      await f.store.writeAt('full', pattern(BlockSize - 100), 0)
      // A store may defer the Dirty row of a new block whose bytes are only in memory.
      assert.ok(await dirtyOrDeferred(f, 'full', 0))
      await f.store.writeAt('full', pattern(200, 2), BlockSize - 100)
      const local = await row(f, 'full', 0)
      assert.equal(local.state, BlockState.Local)
      assert.equal(local.dataSize, BlockSize)
      assert.ok(await dirtyOrDeferred(f, 'full', 1))
      await f.store.writeAt('full', pattern(10, 3), 50)
      assert.equal((await row(f, 'full', 0)).state, BlockState.Dirty)
    }),
  )

  h.it(
    'eviction of a Remote block keeps its row with the key and clears the local path',
    withFixture(async (f) => {
      await f.store.writeAt('p', pattern(4096), 0)
      await f.store.flush('p')
      await syncBlock(f, undefined, 'p', 0)
      assert.equal(await f.store.evictBlock('p', 0), true)
      const r = await row(f, 'p', 0)
      assert.equal(r.state, BlockState.Remote)
      assert.equal(r.localPath, '')
      assert.equal(r.blockStoreKey, 'p/block-0')
      assert.equal(f.store.stats().diskUsed, 0)
    }),
  )
}
