/**
 * The engine's read buffer and prefetcher integration: the Go reference's engine cases, fills
 * that race a write, and small sequential reads.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pattern } from '../../src/conformance/block-store/fixture.js'
import { BlockSize } from '../../src/core/constants.js'
import { isBlockStoreError } from '../../src/core/errors.js'
import { FlushPromoteMaxBytes } from '../../src/engine/flush-payload.js'
import {
  makeRemoteOnly,
  openTestEngine,
  setOutage,
  type TestEngine,
} from '../support/engine-fixture.js'
import { waitFor } from '../support/wait-for.js'

const enc = new TextEncoder()

async function read(
  t: TestEngine,
  pid: string,
  offset: number,
  length: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(length)
  const n = await t.engine.readAt(pid, out, offset)
  return out.subarray(0, n)
}

describe('engine read buffer', () => {
  it('serves a repeated read from the read buffer (ReadAt_ReadBufferHit)', async () => {
    await using t = await openTestEngine()
    await t.engine.writeAt('f', enc.encode('hello world'), 0)
    assert.deepEqual(await read(t, 'f', 0, 11), enc.encode('hello world'))
    const before = await t.engine.stats()
    assert.deepEqual(await read(t, 'f', 0, 11), enc.encode('hello world'))
    const after = await t.engine.stats()
    assert.equal(after.readBufferHits, before.readBufferHits + 1)
    assert.equal(after.readBufferEntries, 1)
  })

  it('fills the buffer on a miss after a write emptied it (ReadAt_ReadBufferMiss_FillsBuffer)', async () => {
    await using t = await openTestEngine()
    await t.engine.writeAt('f', pattern(4096), 0)
    assert.equal((await t.engine.stats()).readBufferEntries, 0)
    await read(t, 'f', 0, 4096)
    const s = await t.engine.stats()
    assert.equal(s.readBufferEntries, 1)
    assert.equal(s.readBufferMisses, 1)
  })

  it('reads correctly with the buffer disabled (ReadAt_ReadBufferDisabled, NewWithReadBufferDisabled)', async () => {
    await using t = await openTestEngine({ readBufferBytes: 0 })
    await t.engine.writeAt('f', pattern(10_000, 3), 0)
    assert.deepEqual(await read(t, 'f', 0, 10_000), pattern(10_000, 3))
    assert.deepEqual(await read(t, 'f', 0, 10_000), pattern(10_000, 3))
    const s = await t.engine.stats()
    assert.equal(s.readBufferMax, 0)
    assert.equal(s.readBufferEntries, 0)
    assert.equal(s.readBufferHits, 0)
  })

  it('drops buffered blocks on write and serves the new bytes (WriteAt_InvalidatesReadBuffer)', async () => {
    await using t = await openTestEngine()
    await t.engine.writeAt('f', enc.encode('aaaaaaaa'), 0)
    await read(t, 'f', 0, 8)
    assert.equal((await t.engine.stats()).readBufferEntries, 1)
    await t.engine.writeAt('f', enc.encode('bb'), 2)
    assert.equal((await t.engine.stats()).readBufferEntries, 0)
    assert.deepEqual(await read(t, 'f', 0, 8), enc.encode('aabbaaaa'))
  })

  it('drops blocks past a truncation, and the cut block (Truncate_InvalidatesAbove)', async () => {
    await using t = await openTestEngine()
    await t.engine.writeAt('f', pattern(100), 0)
    await read(t, 'f', 0, 100)
    await t.engine.truncate('f', 0)
    assert.equal((await t.engine.stats()).readBufferEntries, 0)
    await t.engine.writeAt('f', pattern(100), 0)
    await read(t, 'f', 0, 100)
    await t.engine.truncate('f', 50)
    assert.equal((await t.engine.stats()).readBufferEntries, 0)
    await t.engine.truncate('f', 100)
    const back = await read(t, 'f', 0, 100)
    assert.deepEqual(back.subarray(0, 50), pattern(100).subarray(0, 50))
    assert.deepEqual(back.subarray(50), new Uint8Array(50))
  })

  it('drops the blocks a truncate removed even when it then fails on a remote-only boundary block during an outage', async () => {
    await using t = await openTestEngine({ prefetchWorkers: 0 })
    // Block 0 remote-only; block 1 written after the eviction and buffered by a read.
    await makeRemoteOnly(t, 'f', pattern(BlockSize, 21))
    await t.engine.writeAt('f', pattern(4096, 22), BlockSize)
    await read(t, 'f', BlockSize, 4096)
    await setOutage(t, true)
    // Block 1 goes first; cutting block 0 needs its remote bytes, so the truncate fails.
    await assert.rejects(t.engine.truncate('f', 100), (err) =>
      isBlockStoreError(err, 'BS_REMOTE_UNAVAILABLE'),
    )
    assert.deepEqual(await read(t, 'f', BlockSize, 4096), new Uint8Array(4096), 'no stale bytes')
  })

  it('drops every block of a deleted payload (Delete_InvalidatesFile)', async () => {
    await using t = await openTestEngine()
    await t.engine.writeAt('f', pattern(100), 0)
    await t.engine.writeAt('g', pattern(100), 0)
    await read(t, 'f', 0, 100)
    await read(t, 'g', 0, 100)
    assert.equal((await t.engine.stats()).readBufferEntries, 2)
    await t.engine.delete('f')
    assert.equal((await t.engine.stats()).readBufferEntries, 1)
  })

  it('puts a small payload in the buffer when it is flushed (Flush_AutoPromote)', async () => {
    await using t = await openTestEngine()
    await t.engine.writeAt('small', pattern(5000), 0)
    await t.engine.flush('small')
    const s = await t.engine.stats()
    assert.equal(s.readBufferEntries, 1)
    assert.deepEqual(await read(t, 'small', 0, 5000), pattern(5000))
    assert.equal((await t.engine.stats()).readBufferHits, s.readBufferHits + 1)
  })

  it('promotes on flush only payloads up to FlushPromoteMaxBytes', async () => {
    // A larger payload would cost a copy into fresh memory on every flush, read again or not.
    await using t = await openTestEngine()
    await t.engine.writeAt('edge', pattern(FlushPromoteMaxBytes), 0)
    await t.engine.flush('edge')
    assert.equal((await t.engine.stats()).readBufferEntries, 1)
    await t.engine.writeAt('over', pattern(FlushPromoteMaxBytes + 1), 0)
    await t.engine.flush('over')
    assert.equal((await t.engine.stats()).readBufferEntries, 1)
    // Not promoted, still read correctly (from the local tier), and cached by that read.
    assert.deepEqual(
      await read(t, 'over', 0, FlushPromoteMaxBytes + 1),
      pattern(FlushPromoteMaxBytes + 1),
    )
    assert.equal((await t.engine.stats()).readBufferEntries, 2)
  })

  it('does not auto-promote payloads larger than one block on flush', async () => {
    await using t = await openTestEngine()
    await t.engine.writeAt('big', pattern(100), BlockSize)
    await t.engine.flush('big')
    assert.equal((await t.engine.stats()).readBufferEntries, 0)
  })

  it('serves a smaller read inside a buffered block (MultiBlockRead_PartialReadBuffer)', async () => {
    await using t = await openTestEngine()
    const data = pattern(1024, 9)
    await t.engine.writeAt('f', data, 0)
    assert.deepEqual(await read(t, 'f', 0, 1024), data)
    const hits = (await t.engine.stats()).readBufferHits
    assert.deepEqual(await read(t, 'f', 256, 512), data.subarray(256, 768))
    assert.equal((await t.engine.stats()).readBufferHits, hits + 1)
  })

  it('keeps returning the same bytes over repeated buffered reads (ReadAtPrefetcherWithReadBuffer)', async () => {
    await using t = await openTestEngine()
    const data = pattern(64 * 1024, 4)
    await t.engine.writeAt('f', data, 0)
    // The first read covers the whole (short) block, which promotes it.
    assert.deepEqual(await read(t, 'f', 0, data.length), data)
    const hits = (await t.engine.stats()).readBufferHits
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(await read(t, 'f', 1000, 2000), data.subarray(1000, 3000))
    }
    assert.equal((await t.engine.stats()).readBufferHits, hits + 5)
  })

  it('reads at a sub-block offset (ReadAtSubBlockOffset)', async () => {
    await using t = await openTestEngine()
    await t.engine.writeAt('f', enc.encode('0123456789abcdef'), 0)
    await read(t, 'f', 0, 16)
    assert.deepEqual(await read(t, 'f', 4, 8), enc.encode('456789ab'))
  })

  it('prefetches the next remote block after three sequential block reads (ReadAt_PrefetcherNotified)', async () => {
    // A payload within a quarter of the budget is cached whole (not put on probation), so the
    // entry count below tells block 3's arrival alone.
    await using t = await openTestEngine({
      local: { kind: 'memory' },
      readBufferBytes: 32 * BlockSize,
    })
    const data = pattern(5 * BlockSize, 2)
    await makeRemoteOnly(t, 'seq', data)
    for (let idx = 0; idx < 3; idx++) await read(t, 'seq', idx * BlockSize, BlockSize)
    // Block 3 is loaded by the prefetcher, not by a read.
    await waitFor(
      'block 3 in the read buffer',
      async () => (await t.engine.stats()).readBufferEntries >= 4,
    )
    const fetched = t.remote.calls.readBlock
    assert.ok(fetched >= 4, `block 3 fetched by the prefetcher (${fetched} fetches)`)
    assert.deepEqual(
      await read(t, 'seq', 3 * BlockSize, BlockSize),
      data.subarray(3 * BlockSize, 4 * BlockSize),
    )
    assert.ok((await t.engine.stats()).prefetchHits >= 1)
  })

  it('counts many small reads inside a block as sequential progress', async () => {
    // As above: the buffer keeps blocks 0-2 after the stream read them.
    await using t = await openTestEngine({
      local: { kind: 'memory' },
      readBufferBytes: 32 * BlockSize,
    })
    const data = pattern(4 * BlockSize, 6)
    await makeRemoteOnly(t, 'small-reads', data)
    const piece = 64 * 1024
    for (let at = 0; at < 3 * BlockSize; at += piece) await read(t, 'small-reads', at, piece)
    // A sequential reader fetches whole blocks (no ranged GETs): blocks 0-2 on demand, and
    // block 3 by the prefetcher, because 64 KiB reads inside a block count as progress.
    assert.equal(t.remote.calls.readBlockRange, 0)
    await waitFor(
      'block 3 prefetched into the buffer after 64 KiB reads through blocks 0-2',
      async () => (await t.engine.stats()).readBufferEntries >= 4,
    )
    const before = t.remote.calls.readBlock
    assert.deepEqual(
      await read(t, 'small-reads', 3 * BlockSize, piece),
      data.subarray(3 * BlockSize, 3 * BlockSize + piece),
    )
    assert.equal(t.remote.calls.readBlock, before, 'block 3 came from the read buffer')
    assert.ok((await t.engine.stats()).prefetchHits >= 1)
  })

  it('a second pass over a payload within a quarter of the buffer comes from memory', async () => {
    await using t = await openTestEngine({
      local: { kind: 'memory' },
      readBufferBytes: 32 * BlockSize,
    })
    const data = pattern(8 * BlockSize, 11)
    await makeRemoteOnly(t, 'again', data)
    await makeRemoteOnly(t, 'long', pattern(12 * BlockSize, 13))
    const pass = async (pid: string, size: number): Promise<Uint8Array> => {
      const out = new Uint8Array(size)
      for (let at = 0; at < size; at += BlockSize) {
        const n = await t.engine.readAt(pid, out.subarray(at, at + BlockSize), at)
        assert.equal(n, BlockSize)
      }
      return out
    }
    assert.ok(Buffer.from(await pass('again', data.length)).equals(data))
    // A stream over a larger payload in between takes only probation's room.
    await pass('long', 12 * BlockSize)
    const fetched = t.remote.calls.readBlock
    assert.ok(Buffer.from(await pass('again', data.length)).equals(data))
    assert.equal(t.remote.calls.readBlock, fetched, 'no block of the small payload fetched again')
  })

  it('a pass over a payload larger than a quarter of the buffer keeps only a few blocks', async () => {
    await using t = await openTestEngine({
      local: { kind: 'memory' },
      readBufferBytes: 32 * BlockSize,
    })
    const data = pattern(12 * BlockSize, 12)
    await makeRemoteOnly(t, 'stream', data)
    const out = new Uint8Array(BlockSize)
    for (let at = 0; at < data.length; at += BlockSize) await t.engine.readAt('stream', out, at)
    const s = await t.engine.stats()
    assert.ok(
      s.readBufferEntries <= 8,
      `stream blocks kept on probation only (${s.readBufferEntries})`,
    )
  })

  it('does not prefetch after a write reset the sequence (WriteAt_ResetsPrefetcher)', async () => {
    // Streamed blocks copied locally, so the write into block 0 needs no fetch of its own.
    await using t = await openTestEngine({
      local: { kind: 'memory' },
      cacheFetchedBlocks: 'always',
    })
    const data = pattern(5 * BlockSize, 8)
    await makeRemoteOnly(t, 'reset', data)
    await read(t, 'reset', 0, BlockSize)
    await read(t, 'reset', BlockSize, BlockSize)
    await t.engine.writeAt('reset', enc.encode('x'), 10)
    await read(t, 'reset', 2 * BlockSize, BlockSize)
    await new Promise((r) => setTimeout(r, 50))
    assert.equal(t.remote.calls.readBlock, 3, 'only the three demand reads hit the remote')
  })

  it('never caches bytes of a fill that raced with a write', async () => {
    await using t = await openTestEngine({ local: { kind: 'memory' }, prefetchWorkers: 0 })
    await makeRemoteOnly(t, 'race', pattern(BlockSize, 1))
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => (release = r))
    t.remote.beforeRead = () => gate
    const slowRead = read(t, 'race', 0, BlockSize)
    await waitFor('the slow read to reach the remote', () => t.remote.calls.readBlock === 1)
    t.remote.beforeRead = undefined
    // The write needs the block too (read-modify-write), so it shares the fetch in flight.
    const write = t.engine.writeAt('race', enc.encode('NEW'), 0)
    release()
    await slowRead
    await write
    const after = await read(t, 'race', 0, 3)
    assert.deepEqual(after, enc.encode('NEW'))
  })
})
