/**
 * BlockStore conformance with a remote: upload and finalisation, eviction and cold reads,
 * read-modify-write, dedup, integrity, offline mode and recovery.
 */
import assert from 'node:assert/strict'
import { BlockState } from '../../core/block.js'
import { BlockSize } from '../../core/constants.js'
import { isBlockStoreError } from '../../core/errors.js'
import { parseChunkIndexKey } from '../../core/keys.js'
import type { FaultInjectingRemoteStore } from '../faulty-remote-store.js'
import type { Harness } from '../harness.js'
import {
  type BlockStoreFixture,
  type BlockStoreSuiteContext,
  pattern,
  readAll,
  waitFor,
} from './fixture.js'

const code = (c: string) => (err: unknown) => isBlockStoreError(err) && err.code === c

/** Keys of the block objects (chunk indexes, which go with their block, left out). */
async function remoteKeys(remote: FaultInjectingRemoteStore): Promise<string[]> {
  const keys: string[] = []
  for await (const o of remote.inner.listObjects('')) {
    if (parseChunkIndexKey(o.key) === undefined) keys.push(o.key)
  }
  return keys
}

/** Registers the cases that need a remote store. */
export function describeRemote(h: Harness, ctx: BlockStoreSuiteContext): void {
  const fx = ctx.fixture
  const remoteOf = (f: BlockStoreFixture): FaultInjectingRemoteStore => {
    if (f.remote === undefined) throw new Error('fixture has no remote')
    return f.remote
  }

  h.it('finalizes a flushed payload once drained; drain uploads everything', async () => {
    const { store } = fx()
    await store.writeAt('f', pattern(BlockSize + 10, 1), 0)
    await store.flush('f')
    // The background uploader may beat the drain to some blocks; the outcome is what counts.
    const report = await store.drainAllUploads()
    assert.deepEqual(report.failed, [])
    assert.equal((await store.flush('f')).finalized, true)
    const stats = await store.stats()
    assert.equal(stats.blocksLocal + stats.blocksDirty, 0)
    assert.equal(stats.oldestUnuploadedAgeMs, 0)
  })

  h.it('reads evicted blocks back from the remote, byte for byte', async () => {
    const f = fx()
    const data = pattern(2 * BlockSize + 777, 2)
    await f.store.writeAt('e', data, 0)
    await f.store.flush('e')
    await f.store.drainAllUploads()
    const evicted = await f.store.evict()
    assert.ok(evicted.localBlocksEvicted >= 3)
    assert.deepEqual(await readAll(f.store, 'e'), data)
    const small = new Uint8Array(4096)
    await f.store.evict()
    assert.equal(await f.store.readAt('e', small, BlockSize + 123), 4096)
    assert.deepEqual(small, data.subarray(BlockSize + 123, BlockSize + 123 + 4096))
  })

  h.it('never evicts data that is not safely remote', async () => {
    const f = fx()
    const data = pattern(BlockSize, 3)
    // Down before the write, so the block can never have been uploaded.
    remoteOf(f).down = true
    try {
      await f.store.writeAt('u', data, 0)
      if (f.store.localDurable) await f.store.flush('u')
      const evicted = await f.store.evict()
      assert.equal(evicted.localBlocksEvicted, 0)
      assert.deepEqual(await readAll(f.store, 'u'), data)
    } finally {
      remoteOf(f).down = false
    }
  })

  h.it('merges a partial write into an evicted block instead of zeroing it', async () => {
    const { store } = fx()
    const data = pattern(BlockSize, 4)
    await store.writeAt('m', data, 0)
    await store.flush('m')
    await store.drainAllUploads()
    await store.evict()
    await store.writeAt('m', new Uint8Array([1, 2, 3]), 1000)
    const want = data.slice()
    want.set([1, 2, 3], 1000)
    assert.deepEqual(await readAll(store, 'm'), want)
    await store.flush('m')
    await store.drainAllUploads()
    await store.evict()
    assert.deepEqual(await readAll(store, 'm'), want, 'the merged block was uploaded whole')
  })

  h.it('uploads a rewritten block again instead of keeping the stale object', async () => {
    const f = fx()
    await f.store.writeAt('w', pattern(5000, 5), 0)
    await f.store.flush('w')
    await f.store.drainAllUploads()
    const fresh = pattern(5000, 6)
    await f.store.writeAt('w', fresh, 0)
    const row = await f.metadata.getFileBlock('w/0')
    assert.notEqual(row.state, BlockState.Remote)
    assert.equal(row.blockStoreKey, '')
    await f.store.flush('w')
    await f.store.drainAllUploads()
    await f.store.evict()
    assert.deepEqual(await readAll(f.store, 'w'), fresh)
  })

  h.it(
    'deduplicates identical blocks and shares them on copy without uploading again',
    async () => {
      const f = fx()
      const data = pattern(BlockSize, 7)
      await f.store.writeAt('d1', data, 0)
      await f.store.flush('d1')
      assert.deepEqual((await f.store.drainAllUploads()).failed, [])
      await f.store.writeAt('d2', data, 0)
      await f.store.flush('d2')
      assert.deepEqual((await f.store.drainAllUploads()).failed, [])
      assert.equal((await remoteKeys(remoteOf(f))).length, 1, 'one object for two blocks')
      assert.equal((await f.store.stats()).dedupHits, 1, 'the second block found its donor')
      const uploadedBefore = (await f.store.stats()).bytesUploaded
      assert.equal(await f.store.copyPayload('d1', 'd3'), 1)
      assert.equal((await f.store.flush('d3')).finalized, true, 'shared blocks are already remote')
      assert.equal((await f.store.stats()).bytesUploaded, uploadedBefore)
      await f.store.delete('d1')
      await f.store.evict()
      assert.deepEqual(await readAll(f.store, 'd2'), data, 'the donor object outlives d1')
      assert.deepEqual(await readAll(f.store, 'd3'), data)
    },
  )

  h.it('fails reads of a missing or corrupt remote object, never returning zeros', async () => {
    const f = fx()
    await f.store.writeAt('x', pattern(6000, 8), 0)
    await f.store.writeAt('y', pattern(7000, 9), 0)
    await f.store.flush('x')
    await f.store.flush('y')
    await f.store.drainAllUploads()
    await f.store.evict()
    const rx = await f.metadata.getFileBlock('x/0')
    const ry = await f.metadata.getFileBlock('y/0')
    await remoteOf(f).inner.deleteBlock(rx.blockStoreKey)
    const corrupt = pattern(7000, 10)
    await remoteOf(f).inner.writeBlock(ry.blockStoreKey, corrupt)
    await assert.rejects(f.store.readAt('x', new Uint8Array(6000), 0), code('BS_BLOCK_NOT_FOUND'))
    await assert.rejects(
      f.store.readAt('y', new Uint8Array(7000), 0),
      code('BS_INTEGRITY_CHECK_FAILED'),
    )
  })

  h.it(
    'copies onto an existing remote-only destination during an outage, replacing it whole',
    async () => {
      const f = fx()
      const old = pattern(BlockSize + 5000, 14)
      const fresh = pattern(3000, 15)
      await f.store.writeAt('dst', old, 0)
      await f.store.flush('dst')
      await f.store.drainAllUploads()
      await f.store.evict({ payloadId: 'dst' })
      // Not uploaded yet: its bytes are copied (an uploaded one would be shared by reference).
      await f.store.writeAt('src', fresh, 0)
      const remote = remoteOf(f)
      remote.down = true
      try {
        await waitFor('the outage to be seen', async () => !(await f.store.stats()).remoteHealthy)
        // The old bytes are not needed: every block is replaced whole, never merged.
        assert.equal(await f.store.copyPayload('src', 'dst'), 1)
        assert.equal(await f.store.getSize('dst'), fresh.length)
        assert.deepEqual(await readAll(f.store, 'dst'), fresh)
      } finally {
        remote.down = false
      }
      await waitFor('the remote to recover', async () => (await f.store.stats()).remoteHealthy)
      assert.deepEqual((await f.store.drainAllUploads()).failed, [])
      await f.store.evict()
      assert.deepEqual(await readAll(f.store, 'dst'), fresh)
    },
  )

  h.it(
    'keeps cached reads and all writes working during an outage, failing remote-only reads fast',
    async () => {
      const f = fx()
      const cached = pattern(4096, 11)
      const remoteOnly = pattern(BlockSize, 12)
      await f.store.writeAt('cached', cached, 0)
      await f.store.writeAt('far', remoteOnly, 0)
      await f.store.flush('cached')
      await f.store.flush('far')
      await f.store.drainAllUploads()
      await f.store.evict({ payloadId: 'far' })
      const remote = remoteOf(f)
      remote.down = true
      try {
        await waitFor('the outage to be seen', async () => !(await f.store.stats()).remoteHealthy)
        const refusedBefore = remote.refused
        const t0 = Date.now()
        await assert.rejects(
          f.store.readAt('far', new Uint8Array(100), 0),
          code('BS_REMOTE_UNAVAILABLE'),
        )
        assert.ok(Date.now() - t0 < 1000, 'fails fast')
        assert.equal(remote.refused, refusedBefore, 'no network I/O for a fast failure')
        assert.deepEqual(await readAll(f.store, 'cached'), cached)
        const during = pattern(3000, 13)
        await f.store.writeAt('during', during, 0)
        assert.deepEqual(await readAll(f.store, 'during'), during)
        if (f.store.localDurable) await f.store.flush('during')
        else {
          // Nothing durable would hold these bytes: the flush must refuse, not acknowledge.
          await assert.rejects(f.store.flush('during'), code('BS_REMOTE_UNAVAILABLE'))
        }
        const stats = await f.store.stats()
        assert.equal(stats.evictionSuspended, true)
        assert.ok(stats.offlineReadsBlocked >= 1)
        assert.equal((await f.store.healthcheck()).status, 'degraded')
        await assert.rejects(f.store.drainAllUploads(), code('BS_REMOTE_UNAVAILABLE'))
      } finally {
        remote.down = false
      }
      await waitFor('the remote to recover', async () => (await f.store.stats()).remoteHealthy)
      assert.equal((await f.store.stats()).outageDurationSeconds, 0)
      assert.equal((await f.store.flush('during')).finalized || f.store.localDurable, true)
      const drained = await f.store.drainAllUploads()
      assert.deepEqual(drained.failed, [])
      assert.equal((await f.store.flush('during')).finalized, true)
      assert.deepEqual(await readAll(f.store, 'far'), remoteOnly)
      assert.equal((await f.store.healthcheck()).status, 'healthy')
    },
  )

  h.it('reports remote-durable flushes only once uploaded', async () => {
    const f = fx()
    await f.store.writeAt('r', pattern(100, 14), 0)
    await f.store.flush('r')
    await f.store.drainAllUploads()
    assert.equal((await f.store.flush('r')).finalized, true)
    await f.store.writeAt('r', pattern(1, 15), 50)
    assert.equal((await f.metadata.getFileBlock('r/0')).state, BlockState.Dirty)
  })
}
