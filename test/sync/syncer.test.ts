/**
 * The syncer as the engine drives it: uploads (parallel, under the hash of the bytes on disk,
 * never marking a block rewritten meanwhile Remote), dedup, failure backoff, a drain that
 * leaves nothing behind, shared and bounded cold fetches, ranged reads.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pattern } from '../../src/conformance/block-store/fixture.js'
import { BlockState } from '../../src/core/block.js'
import { chunkRecordSize } from '../../src/core/chunk-layout.js'
import { BlockSize } from '../../src/core/constants.js'
import { BlockStoreError, isBlockStoreError } from '../../src/core/errors.js'
import { formatBlockId, formatContentKey } from '../../src/core/keys.js'
import { hashBlock } from '../../src/platform/hash-block.js'
import {
  makeRemoteOnly,
  manualUploads,
  openTestEngine,
  type TestEngine,
} from '../support/engine-fixture.js'
import { waitFor } from '../support/wait-for.js'

async function rowState(t: TestEngine, pid: string, idx: number): Promise<BlockState> {
  return (await t.metadata.getFileBlock(formatBlockId(pid, idx))).state
}

async function readBack(t: TestEngine, pid: string, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length)
  assert.equal(await t.engine.readAt(pid, out, 0), length)
  return out
}

describe('engine syncer', () => {
  it('never marks a block written during its upload Remote with the stale bytes', async () => {
    await using t = await openTestEngine()
    await t.engine.writeAt('torn', pattern(4096, 1), 0)
    await t.engine.flush('torn')
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => (release = r))
    t.remote.beforeWrite = () => gate
    const drain = t.engine.drainAllUploads()
    await waitFor('the upload to be held', () => t.remote.calls.writeBlock === 1)
    await t.engine.writeAt('torn', pattern(100, 2), 0)
    release()
    t.remote.beforeWrite = undefined
    await drain
    assert.notEqual(await rowState(t, 'torn', 0), BlockState.Remote, 'the upload was superseded')
    await t.engine.flush('torn')
    assert.deepEqual((await t.engine.drainAllUploads()).failed, [])
    await t.engine.evict()
    const expected = pattern(4096, 1)
    expected.set(pattern(100, 2), 0)
    assert.deepEqual(await readBack(t, 'torn', 4096), expected)
  })

  it('uploads under the SHA-256 of the bytes on disk at upload time', async () => {
    await using t = await openTestEngine()
    const data = pattern(30_000, 3)
    await t.engine.writeAt('h', data, 0)
    await t.engine.flush('h')
    await t.engine.drainAllUploads()
    const row = await t.metadata.getFileBlock(formatBlockId('h', 0))
    const hash = hashBlock(data)
    assert.ok(row.hash.equals(hash))
    assert.equal(row.blockStoreKey, formatContentKey(hash))
    assert.deepEqual(await t.remote.inner.readBlock(row.blockStoreKey), data)
  })

  it('stores identical blocks once and counts the dedup hit', async () => {
    await using t = await openTestEngine()
    const data = pattern(20_000, 4)
    for (const pid of ['d1', 'd2']) {
      await t.engine.writeAt(pid, data, 0)
      await t.engine.flush(pid)
      await t.engine.drainAllUploads()
    }
    assert.equal(t.remote.calls.writeBlock, 1)
    assert.equal((await t.engine.stats()).dedupHits, 1)
    await t.engine.evict()
    assert.deepEqual(await readBack(t, 'd2', data.length), data)
  })

  it('reverts failed uploads to Local, reports them per block and backs off instead of spinning', async () => {
    await using t = await openTestEngine({
      syncer: { ...manualUploads, uploadIntervalMs: 10, uploadDelayMs: 0 },
    })
    t.remote.beforeWrite = async () => {
      throw new BlockStoreError('BS_ACCESS_DENIED', 'injected: bucket policy denies writes')
    }
    await t.engine.writeAt('fail', pattern(5000), 0)
    await t.engine.writeAt('fail', pattern(5000), BlockSize)
    await t.engine.flush('fail')
    const report = await t.engine.drainAllUploads()
    assert.deepEqual(report.failed.map((f) => f.blockId).sort(), [
      formatBlockId('fail', 0),
      formatBlockId('fail', 1),
    ])
    assert.ok(report.failed.every((f) => f.code === 'BS_ACCESS_DENIED'))
    assert.equal(await rowState(t, 'fail', 0), BlockState.Local)
    // The background pass (every 10 ms) retries each block after a backoff of about 1 s.
    const attempts = t.remote.calls.writeBlock
    await new Promise((r) => setTimeout(r, 300))
    assert.ok(
      t.remote.calls.writeBlock - attempts <= 2,
      `no spinning: ${t.remote.calls.writeBlock - attempts} retries in 300 ms`,
    )
    assert.ok((await t.engine.stats()).uploadsFailed >= 2)
  })

  it('runs uploads in parallel', async () => {
    await using t = await openTestEngine({ syncer: { ...manualUploads, parallelUploads: 8 } })
    t.remote.beforeWrite = () => new Promise((r) => setTimeout(r, 30))
    for (let i = 0; i < 16; i++) {
      await t.engine.writeAt(`p${i}`, pattern(1000, i + 1), 0)
      await t.engine.flush(`p${i}`)
    }
    const t0 = performance.now()
    const report = await t.engine.drainAllUploads()
    const ms = performance.now() - t0
    assert.equal(report.uploaded, 16)
    assert.ok(t.remote.maxWritesInFlight >= 4, `max in flight ${t.remote.maxWritesInFlight}`)
    assert.ok(ms < 16 * 30, `drain took ${ms.toFixed(0)} ms, sequential would be ${16 * 30}`)
  })

  it('drains every flushed block before returning', async () => {
    await using t = await openTestEngine()
    for (let i = 0; i < 5; i++) {
      await t.engine.writeAt(`q${i}`, pattern(3000, i + 7), 0)
      await t.engine.flush(`q${i}`)
    }
    const report = await t.engine.drainAllUploads()
    assert.equal(report.uploaded, 5)
    assert.deepEqual(report.failed, [])
    const s = await t.engine.stats()
    assert.equal(s.blocksLocal, 0)
    assert.equal(s.blocksRemote, 5)
    assert.equal(s.oldestUnuploadedAgeMs, 0)
  })

  it('lets concurrent readers of one cold block share one fetch', async () => {
    await using t = await openTestEngine({ prefetchWorkers: 0 })
    const data = pattern(BlockSize, 11)
    await makeRemoteOnly(t, 'shared', data)
    t.remote.beforeRead = () => new Promise((r) => setTimeout(r, 50))
    const outs = await Promise.all(
      Array.from({ length: 4 }, async () => readBack(t, 'shared', BlockSize)),
    )
    for (const out of outs) assert.deepEqual(out, data)
    assert.equal(t.remote.calls.readBlock, 1)
  })

  it('fails a demand fetch that exceeds its budget with BS_REMOTE_UNAVAILABLE instead of hanging', async () => {
    await using t = await openTestEngine({
      syncer: { ...manualUploads, fetchBudgetMs: 200 },
      prefetchWorkers: 0,
    })
    await makeRemoteOnly(t, 'hang', pattern(BlockSize, 12))
    // A remote that accepted the connection and then says nothing, until aborted.
    t.remote.beforeRead = (_key, signal) =>
      new Promise((_resolve, reject) => {
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true })
      })
    const t0 = performance.now()
    await assert.rejects(t.engine.readAt('hang', new Uint8Array(BlockSize), 0), (err) =>
      isBlockStoreError(err, 'BS_REMOTE_UNAVAILABLE'),
    )
    assert.ok(performance.now() - t0 < 2000)
  })

  it('with rangedReadThreshold 0 fetches and verifies the whole block even for a small cold read', async () => {
    await using t = await openTestEngine({ prefetchWorkers: 0, rangedReadThreshold: 0 })
    const data = pattern(BlockSize, 12)
    await makeRemoteOnly(t, 'whole', data)
    const out = new Uint8Array(4096)
    await t.engine.readAt('whole', out, 1_000_000)
    assert.deepEqual(out, data.subarray(1_000_000, 1_004_096))
    assert.equal(t.remote.calls.readBlockRange, 0)
    assert.equal(t.remote.calls.readBlock, 1)
  })

  it('by default reads a small piece of a cold block with verified ranged GETs, not the whole block', async () => {
    await using t = await openTestEngine({ prefetchWorkers: 0 })
    const data = pattern(BlockSize, 13)
    await makeRemoteOnly(t, 'ranged', data)
    const before = (await t.engine.stats()).bytesDownloaded
    const out = new Uint8Array(4096)
    // Not leaf-aligned: two 4 KiB leaves are fetched and checked, and one index record.
    await t.engine.readAt('ranged', out, 1_000_000)
    assert.deepEqual(out, data.subarray(1_000_000, 1_004_096))
    assert.equal(t.remote.calls.readBlock, 0)
    assert.equal(t.remote.calls.readBlockRange, 1)
    assert.equal(t.remote.calls.rangeBytes, 8192)
    assert.equal(t.remote.calls.indexRanges, 1)
    assert.equal(t.remote.calls.indexBytes, chunkRecordSize(BlockSize))
    assert.equal(
      (await t.engine.stats()).bytesDownloaded - before,
      8192 + chunkRecordSize(BlockSize),
    )
    // The group's leaf hashes are cached: the next read in it is one request.
    await t.engine.readAt('ranged', out, 1_008_192)
    assert.deepEqual(out, data.subarray(1_008_192, 1_012_288))
    assert.equal(t.remote.calls.readBlockRange, 2)
    assert.equal(t.remote.calls.indexRanges, 1)
  })

  it('waits for an upload held by another pass before acknowledging a non-durable flush', async () => {
    await using t = await openTestEngine({ local: { kind: 'memory' }, prefetchWorkers: 0 })
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => (release = r))
    t.remote.beforeWrite = () => gate
    await t.engine.writeAt('held', pattern(4096, 18), 0)
    // Memory local tier: this flush uploads; hold that upload, then flush again meanwhile.
    const first = t.engine.flush('held')
    await waitFor('the first upload to be held', () => t.remote.calls.writeBlock === 1)
    let settled = false
    const second = t.engine.flush('held').finally(() => (settled = true))
    // Longer than any fixed retry budget: the flush must keep waiting, not give up and return.
    await new Promise((r) => setTimeout(r, 1500))
    assert.equal(settled, false, 'the second flush must not return while the upload is held')
    release()
    assert.equal((await first).finalized, true)
    assert.equal((await second).finalized, true)
  })

  it('uploads identical blocks drained together once, the second referencing the first', async () => {
    await using t = await openTestEngine({ prefetchWorkers: 0 })
    const data = pattern(BlockSize, 17)
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => (release = r))
    t.remote.beforeWrite = () => gate
    for (const id of ['same-1', 'same-2', 'same-3']) {
      await t.engine.writeAt(id, data, 0)
      await t.engine.flush(id)
    }
    const drain = t.engine.drainAllUploads()
    await waitFor('an upload to be held', () => t.remote.calls.writeBlock >= 1)
    release()
    const report = await drain
    assert.deepEqual(report.failed, [])
    assert.equal(t.remote.calls.writeBlock, 1, 'the same bytes are sent once')
    assert.equal((await t.engine.stats()).dedupHits, 2)
    for (const id of ['same-1', 'same-2', 'same-3'])
      assert.equal((await t.engine.flush(id)).finalized, true)
  })

  it('fetches whole blocks for sequential small reads, serving the rest of the block from memory', async () => {
    await using t = await openTestEngine({ prefetchWorkers: 0 })
    const data = pattern(BlockSize, 15)
    await makeRemoteOnly(t, 'seq', data)
    const chunk = 1024 * 1024
    const out = new Uint8Array(chunk)
    for (let at = 0; at < BlockSize; at += chunk) {
      assert.equal(await t.engine.readAt('seq', out, at), chunk)
      assert.deepEqual(out, data.subarray(at, at + chunk))
    }
    assert.equal(t.remote.calls.readBlockRange, 0, 'no ranged GETs for a sequential reader')
    assert.equal(t.remote.calls.readBlock, 1, 'one verified whole-block fetch')
  })

  it('uses ranged GETs again for a small read that jumps away from a sequential stream', async () => {
    await using t = await openTestEngine({ prefetchWorkers: 0, rangedReadThreshold: 1024 * 1024 })
    const data = pattern(2 * BlockSize, 16)
    await makeRemoteOnly(t, 'jump', data)
    const out = new Uint8Array(4096)
    await t.engine.readAt('jump', out, 0)
    await t.engine.readAt('jump', out, BlockSize + 12_345)
    assert.deepEqual(out, data.subarray(BlockSize + 12_345, BlockSize + 12_345 + 4096))
    assert.equal(t.remote.calls.readBlockRange, 1)
  })

  it('joins a whole-block fetch in flight instead of issuing a ranged GET for a small read', async () => {
    await using t = await openTestEngine({ prefetchWorkers: 0, rangedReadThreshold: 1024 * 1024 })
    const data = pattern(BlockSize, 14)
    await makeRemoteOnly(t, 'join', data)
    t.remote.beforeRead = () => new Promise((r) => setTimeout(r, 50))
    const whole = readBack(t, 'join', BlockSize)
    await waitFor('the whole-block fetch to start', () => t.remote.calls.readBlock === 1)
    const out = new Uint8Array(4096)
    await t.engine.readAt('join', out, 5000)
    assert.deepEqual(out, data.subarray(5000, 9096))
    assert.deepEqual(await whole, data)
    assert.equal(t.remote.calls.readBlockRange, 0)
    assert.equal(t.remote.calls.readBlock, 1)
  })
})
