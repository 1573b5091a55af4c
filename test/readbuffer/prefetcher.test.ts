import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { deferred } from '../../src/core/abort.js'
import { BlockSize, DefaultPrefetchWorkers } from '../../src/core/constants.js'
import { createReadBuffer } from '../../src/readbuffer/create-read-buffer.js'
import {
  createPrefetcher,
  NullPrefetcher,
  PoolPrefetcher,
  type PrefetcherOptions,
  type PrefetchLoader,
} from '../../src/readbuffer/prefetcher.js'
import type { ReadBuffer } from '../../src/readbuffer/read-buffer.js'
import { PrefetchMaxDepth } from '../../src/readbuffer/sequential-detector.js'

const BS = 1024

function newBuffer(maxBytes = BS * 64): ReadBuffer {
  return createReadBuffer(maxBytes, { blockSize: BS })
}

/** Loader answering at once with block-index-filled data; records `pid:idx` per call. */
function instantLoader(): { calls: string[]; load: PrefetchLoader } {
  const calls: string[] = []
  return {
    calls,
    load: async (pid, idx) => {
      calls.push(`${pid}:${idx}`)
      return new Uint8Array(BS).fill(idx)
    },
  }
}

interface PendingLoad {
  readonly pid: string
  readonly idx: number
  readonly signal: AbortSignal
  resolve(data: Uint8Array | undefined): void
  reject(err: unknown): void
}

/**
 * Loader whose every call waits until the test settles it. A well-behaved loader rejects
 * with the signal's reason on abort; `ignoreAbort` models one that does not.
 */
function gatedLoader(ignoreAbort = false): { calls: PendingLoad[]; load: PrefetchLoader } {
  const calls: PendingLoad[] = []
  return {
    calls,
    load: (pid, idx, signal) => {
      const d = deferred<Uint8Array | undefined>()
      calls.push({ pid, idx, signal, resolve: d.resolve, reject: d.reject })
      if (!ignoreAbort) signal.addEventListener('abort', () => d.reject(signal.reason))
      return d.promise
    },
  }
}

function open(
  buffer: ReadBuffer,
  load: PrefetchLoader,
  extra: Partial<PrefetcherOptions> = {},
): PoolPrefetcher {
  const p = createPrefetcher({ buffer, load, ...extra })
  assert.ok(p instanceof PoolPrefetcher)
  return p
}

function readBlocks(p: { onRead(pid: string, idx: number): void }, pid: string, ...idx: number[]) {
  for (const i of idx) p.onRead(pid, i)
}

describe('Prefetcher sequential detection', () => {
  it('a first read creates a tracker and prefetches nothing [OnRead_FirstRead]', async () => {
    await using buf = newBuffer()
    const loader = instantLoader()
    await using p = open(buf, loader.load, { workers: 2 })
    p.onRead('file1', 0)
    await p.whenIdle()
    assert.deepEqual(loader.calls, [])
    assert.deepEqual(p.tracker('file1'), { lastIdx: 0, seqCount: 0, depth: 1 })
  })

  it('two sequential reads stay below the threshold [OnRead_Sequential]', async () => {
    await using buf = newBuffer()
    const loader = instantLoader()
    await using p = open(buf, loader.load, { workers: 2 })
    readBlocks(p, 'file1', 0, 1)
    await p.whenIdle()
    assert.deepEqual(loader.calls, [])
    assert.equal(p.tracker('file1')?.seqCount, 1)
  })

  it('reads of blocks 0, 1, 2 load block 3 into the buffer [OnRead_ThresholdTrigger]', async () => {
    await using buf = newBuffer()
    const loader = instantLoader()
    await using p = open(buf, loader.load, { workers: 2 })
    readBlocks(p, 'file1', 0, 1, 2)
    await p.whenIdle()
    assert.deepEqual(loader.calls, ['file1:3'])
    assert.equal(buf.contains('file1', 3), true)
    assert.equal(p.stats().loaded, 1)
  })

  it('the window doubles 1, 2, 4 blocks as the reader keeps going [OnRead_AdaptiveDepth]', async () => {
    await using buf = newBuffer()
    const loader = instantLoader()
    await using p = open(buf, loader.load, { workers: 4 })
    readBlocks(p, 'file1', 0, 1, 2)
    await p.whenIdle()
    assert.deepEqual(loader.calls, ['file1:3'])
    p.onRead('file1', 3)
    await p.whenIdle()
    assert.deepEqual(loader.calls.slice(1), ['file1:4', 'file1:5'])
    p.onRead('file1', 4)
    await p.whenIdle()
    // 5 is already buffered; 6, 7, 8 complete the window of 4.
    assert.deepEqual(loader.calls.slice(3), ['file1:6', 'file1:7', 'file1:8'])
    assert.equal(p.tracker('file1')?.depth, 8)
  })

  it('the window never exceeds 8 blocks however long the run [OnRead_MaxDepth]', async () => {
    await using buf = newBuffer()
    const loader = instantLoader()
    await using p = open(buf, loader.load, { workers: 4 })
    for (let i = 0; i < 20; i++) {
      p.onRead('file1', i)
      await p.whenIdle()
    }
    assert.equal(p.tracker('file1')?.depth, PrefetchMaxDepth)
    const highest = Math.max(...loader.calls.map((c) => Number(c.split(':')[1])))
    assert.equal(highest, 19 + PrefetchMaxDepth)
  })

  it('a jump resets the tracker and prefetches nothing [OnRead_NonSequentialReset]', async () => {
    await using buf = newBuffer()
    const loader = instantLoader()
    await using p = open(buf, loader.load, { workers: 2 })
    readBlocks(p, 'file1', 0, 1, 10)
    await p.whenIdle()
    assert.deepEqual(loader.calls, [])
    assert.deepEqual(p.tracker('file1'), { lastIdx: 10, seqCount: 0, depth: 1 })
  })

  it('a block already in the buffer is not loaded [OnRead_SkipsCachedBlocks]', async () => {
    await using buf = newBuffer()
    buf.put('file1', 3, new Uint8Array(BS).fill(0x33))
    const loader = instantLoader()
    await using p = open(buf, loader.load, { workers: 2 })
    readBlocks(p, 'file1', 0, 1, 2)
    await p.whenIdle()
    assert.deepEqual(loader.calls, [])
    assert.equal(p.stats().skipped, 1)
  })

  it('a block in the local store is not loaded [OnRead_SkipsLocalBlocks]', async () => {
    await using buf = newBuffer()
    const loader = instantLoader()
    const asked: string[] = []
    await using p = open(buf, loader.load, {
      workers: 2,
      isLocal: async (pid, idx) => {
        asked.push(`${pid}:${idx}`)
        return idx === 3
      },
    })
    readBlocks(p, 'file1', 0, 1, 2)
    await p.whenIdle()
    assert.deepEqual(asked, ['file1:3'])
    assert.deepEqual(loader.calls, [])
    assert.equal(buf.contains('file1', 3), false)
    readBlocks(p, 'file1', 3)
    await p.whenIdle()
    assert.deepEqual(loader.calls, ['file1:4', 'file1:5'])
  })

  it('reset forgets the payload tracker [Reset_ClearsTracker]', async () => {
    await using buf = newBuffer()
    await using p = open(buf, instantLoader().load, { workers: 2 })
    readBlocks(p, 'file1', 0, 1)
    p.reset('file1')
    assert.equal(p.tracker('file1'), undefined)
  })

  it('reset of an unknown payload is a no-op [Reset_UnknownPayload]', async () => {
    await using buf = newBuffer()
    await using p = open(buf, instantLoader().load, { workers: 2 })
    p.onRead('other', 4)
    p.reset('nonexistent')
    assert.equal(p.tracker('other')?.lastIdx, 4)
  })

  it('reads from many payloads interleaved are tracked independently [Concurrency_OnReadMultiFiles]', async () => {
    await using buf = newBuffer(BS * 512)
    const loader = instantLoader()
    await using p = open(buf, loader.load, { workers: 4 })
    const files = Array.from({ length: 8 }, (_, i) => `file${String.fromCharCode(65 + i)}`)
    await Promise.all(
      files.map(async (pid) => {
        for (let i = 0; i < 50; i++) {
          p.onRead(pid, i)
          await Promise.resolve()
        }
      }),
    )
    await p.whenIdle()
    for (const pid of files) {
      assert.deepEqual(p.tracker(pid), { lastIdx: 49, seqCount: 49, depth: PrefetchMaxDepth })
      for (let idx = 0; idx < 60; idx++) {
        const dest = new Uint8Array(BS)
        if (buf.get(pid, idx, dest, 0) !== undefined) assert.ok(dest.every((b) => b === idx))
      }
    }
    // Per file, reads 2..49 ask for 1 + 2 + 4 + 45 x 8 blocks; each ask is accounted for.
    const { queued, dropped, skipped, loaded, errors } = p.stats()
    assert.ok(queued + dropped + skipped >= files.length * 367)
    assert.ok(loaded > 0)
    assert.equal(errors, 0)
  })
})

describe('Prefetcher small reads', () => {
  it('64 KiB sequential reads inside and across 8 MiB blocks trigger prefetch', async () => {
    await using buf = createReadBuffer(BlockSize * 4)
    const loader = instantLoader()
    await using p = open(buf, loader.load, { workers: 2 })
    buf.attachObserver(p)
    const chunk = 64 * 1024
    // Blocks 0 and 1 read in 64 KiB pieces: no prefetch yet (threshold 2 steps).
    for (let off = 0; off < 2 * BlockSize; off += chunk) buf.notifyRead('f', off, chunk)
    await p.whenIdle()
    assert.deepEqual(loader.calls, [])
    assert.deepEqual(p.tracker('f'), { lastIdx: 1, seqCount: 1, depth: 1 })
    // The first 64 KiB of block 2 is the second step: block 3 is read ahead.
    buf.notifyRead('f', 2 * BlockSize, chunk)
    await p.whenIdle()
    assert.deepEqual(loader.calls, ['f:3'])
    // The rest of block 2 is neutral: no reset, nothing new.
    for (let off = 2 * BlockSize + chunk; off < 3 * BlockSize; off += chunk) {
      buf.notifyRead('f', off, chunk)
    }
    await p.whenIdle()
    assert.deepEqual(p.tracker('f'), { lastIdx: 2, seqCount: 2, depth: 2 })
    buf.notifyRead('f', 3 * BlockSize, chunk)
    await p.whenIdle()
    assert.deepEqual(loader.calls, ['f:3', 'f:4', 'f:5'])
  })

  it('repeated reads of one block are neutral: they neither reset nor count as progress', async () => {
    await using buf = newBuffer()
    const loader = instantLoader()
    await using p = open(buf, loader.load, { workers: 2 })
    readBlocks(p, 'f', 0, 0, 0, 1, 1, 1, 1)
    assert.deepEqual(p.tracker('f'), { lastIdx: 1, seqCount: 1, depth: 1 })
    readBlocks(p, 'f', 2)
    await p.whenIdle()
    assert.deepEqual(loader.calls, ['f:3'])
  })
})

describe('Prefetcher worker pool', () => {
  it('with 1 worker and a queue of 4, 20 submits run 5 and drop 15 [BoundedPool_DropsWhenFull]', async () => {
    await using buf = newBuffer()
    const loader = gatedLoader()
    const p = open(buf, loader.load, { workers: 1 })
    for (let i = 0; i < 20; i++) p.submit('file1', i)
    assert.deepEqual(p.stats().dropped, 15)
    assert.deepEqual([p.stats().inFlight, p.stats().pending], [1, 4])
    for (let i = 0; i < 5; i++) {
      await Promise.resolve()
      while (loader.calls.length <= i) await new Promise((r) => setImmediate(r))
      loader.calls[i]?.resolve(new Uint8Array(BS).fill(i))
    }
    await p.whenIdle()
    assert.deepEqual(
      loader.calls.map((c) => c.idx),
      [0, 1, 2, 3, 4],
    )
    assert.equal(p.stats().loaded, 5)
    await p.close()
  })

  it('omitting workers runs 4 loads at once with a queue of 16 [NewPrefetcher_DefaultWorkers]', async () => {
    await using buf = newBuffer()
    const loader = gatedLoader()
    await using p = open(buf, loader.load)
    for (let i = 0; i < 30; i++) p.submit('f', i)
    assert.equal(DefaultPrefetchWorkers, 4)
    assert.deepEqual(p.stats().inFlight, 4)
    assert.deepEqual(p.stats().pending, 16)
    assert.deepEqual(p.stats().dropped, 10)
    assert.equal(loader.calls.length, 4)
  })

  it('a block already queued or in flight is not requested twice', async () => {
    await using buf = newBuffer()
    const loader = gatedLoader()
    await using p = open(buf, loader.load, { workers: 1 })
    p.submit('f', 1)
    p.submit('f', 2)
    p.submit('f', 1)
    p.submit('f', 2)
    assert.deepEqual([p.stats().queued, p.stats().skipped], [2, 2])
    loader.calls[0]?.resolve(new Uint8Array(BS))
    while (loader.calls.length < 2) await new Promise((r) => setImmediate(r))
    loader.calls[1]?.resolve(new Uint8Array(BS))
    await p.whenIdle()
    p.submit('f', 1) // now buffered
    assert.equal(p.stats().skipped, 3)
  })

  it('close stops the workers: in-flight loads see an aborted signal and nothing more is queued [Close_StopsWorkers]', async () => {
    const buf = newBuffer()
    const loader = gatedLoader(true)
    const p = open(buf, loader.load, { workers: 2 })
    for (let i = 0; i < 6; i++) p.submit('f', i)
    assert.equal(loader.calls.length, 2)
    let closed = false
    const closing = p.close().then(() => {
      closed = true
    })
    assert.ok(loader.calls.every((c) => c.signal.aborted))
    await new Promise((r) => setImmediate(r))
    assert.equal(closed, false, 'close waits for the in-flight loads')
    loader.calls[0]?.resolve(new Uint8Array(BS))
    loader.calls[1]?.reject(loader.calls[1].signal.reason)
    await closing
    assert.equal(loader.calls.length, 2, 'queued requests were dropped, not run')
    assert.equal(buf.contains('f', 0), false, 'a load finishing after close is not buffered')
    assert.equal(p.stats().errors, 0, 'aborted loads are not errors')
    readBlocks(p, 'f', 10, 11, 12)
    p.submit('f', 20)
    assert.equal(p.stats().pending, 0)
    assert.equal(loader.calls.length, 2)
    await buf.close()
  })

  it('close is idempotent and returns the same promise [Close_Idempotent]', async () => {
    await using buf = newBuffer()
    const p = open(buf, instantLoader().load, { workers: 2 })
    const first = p.close()
    assert.equal(p.close(), first)
    await first
    await p.close()
    await p[Symbol.asyncDispose]()
  })

  it('a disabled buffer gives the null prefetcher [NewPrefetcher_NilBuffer]', async () => {
    const loader = instantLoader()
    const p = createPrefetcher({ buffer: createReadBuffer(0), load: loader.load, workers: 2 })
    assert.ok(p instanceof NullPrefetcher)
    readBlocks(p, 'f', 0, 1, 2, 3)
    p.submit('f', 9)
    await p.whenIdle()
    assert.deepEqual(loader.calls, [])
    assert.equal(p.tracker('f'), undefined)
    await p.close()
  })

  it('0 workers disables prefetch with the null prefetcher; negative workers are a mistake', async () => {
    await using buf = newBuffer()
    const loader = instantLoader()
    assert.ok(
      createPrefetcher({ buffer: buf, load: loader.load, workers: 0 }) instanceof NullPrefetcher,
    )
    assert.throws(
      () => createPrefetcher({ buffer: buf, load: loader.load, workers: -1 }),
      RangeError,
    )
    assert.throws(
      () => createPrefetcher({ buffer: buf, load: loader.load, workers: 1.5 }),
      RangeError,
    )
  })

  it('loader failures are counted and reported, never thrown, and the worker goes on', async () => {
    await using buf = newBuffer()
    const reported: string[] = []
    const failure = new Error('remote down')
    await using p = open(
      buf,
      async (_pid, idx) => {
        if (idx === 1) throw failure
        return new Uint8Array(BS).fill(idx)
      },
      {
        workers: 1,
        onError: (err, pid, idx) => reported.push(`${pid}:${idx}:${(err as Error).message}`),
      },
    )
    p.submit('f', 1)
    p.submit('f', 2)
    await p.whenIdle()
    assert.deepEqual(reported, ['f:1:remote down'])
    assert.deepEqual([p.stats().errors, p.stats().loaded], [1, 1])
    assert.equal(buf.contains('f', 2), true)
  })

  it('a failing local check is counted as an error and the block is not loaded', async () => {
    await using buf = newBuffer()
    const loader = instantLoader()
    await using p = open(buf, loader.load, {
      workers: 1,
      isLocal: async () => {
        throw new Error('metadata unavailable')
      },
    })
    p.submit('f', 1)
    await p.whenIdle()
    assert.deepEqual(loader.calls, [])
    assert.equal(p.stats().errors, 1)
  })

  it('prefetch is suppressed while the remote is unhealthy and resumes when it recovers', async () => {
    await using buf = newBuffer()
    const loader = instantLoader()
    let healthy = false
    await using p = open(buf, loader.load, { workers: 2, isRemoteHealthy: () => healthy })
    readBlocks(p, 'f', 0, 1, 2, 3)
    await p.whenIdle()
    assert.deepEqual(loader.calls, [])
    assert.equal(p.stats().suppressed, 3)
    healthy = true
    p.onRead('f', 4)
    await p.whenIdle()
    assert.deepEqual(loader.calls, ['f:5', 'f:6', 'f:7', 'f:8'])
  })

  it('a request queued before the remote turned unhealthy is not run', async () => {
    await using buf = newBuffer()
    const loader = gatedLoader()
    let healthy = true
    await using p = open(buf, loader.load, { workers: 1, isRemoteHealthy: () => healthy })
    p.submit('f', 1)
    p.submit('f', 2)
    healthy = false
    loader.calls[0]?.resolve(new Uint8Array(BS))
    await p.whenIdle()
    assert.equal(loader.calls.length, 1)
    assert.equal(p.stats().suppressed, 1)
  })

  it('a prefetched block whose payload was written during the load is rejected', async () => {
    await using buf = newBuffer()
    const loader = gatedLoader()
    await using p = open(buf, loader.load, { workers: 1 })
    buf.attachObserver(p)
    p.submit('f', 3)
    buf.invalidateRange('f', 3 * BS, 10) // a write lands while block 3 is loading
    loader.calls[0]?.resolve(new Uint8Array(BS).fill(0xee))
    await p.whenIdle()
    assert.equal(buf.contains('f', 3), false)
    assert.deepEqual([p.stats().loaded, p.stats().rejected], [0, 1])
  })

  it('a prefetched block read later counts as a prefetch hit in the buffer stats', async () => {
    await using buf = newBuffer()
    await using p = open(buf, instantLoader().load, { workers: 2 })
    buf.attachObserver(p)
    buf.notifyRead('f', 0, 3 * BS) // blocks 0, 1, 2 in one read: block 3 is read ahead
    await p.whenIdle()
    const dest = new Uint8Array(BS)
    assert.equal(buf.get('f', 3, dest, 0), BS)
    assert.ok(dest.every((b) => b === 3))
    assert.deepEqual([buf.stats().hits, buf.stats().prefetchHits], [1, 1])
  })
})
