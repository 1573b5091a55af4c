import assert from 'node:assert/strict'
import { setMaxListeners } from 'node:events'
import { describe, it } from 'node:test'
import { setImmediate as tick } from 'node:timers/promises'
import { deferred } from '../../src/core/abort.js'
import { AdaptiveWindow } from '../../src/readbuffer/adaptive-window.js'
import { createReadBuffer } from '../../src/readbuffer/create-read-buffer.js'
import {
  createPrefetcher,
  PoolPrefetcher,
  type PrefetcherOptions,
  type PrefetchLoader,
} from '../../src/readbuffer/prefetcher.js'
import type { ReadBuffer } from '../../src/readbuffer/read-buffer.js'

const BS = 1024

/** Latency of one load on the simulated clock, in milliseconds. */
const LATENCY_MS = 20

/**
 * A remote with latency: every load waits until the test settles it, so a reader that keeps
 * reading always catches up with read-ahead. Tracks how many loads are unsettled at once.
 * Its clock models the remote: with n loads open, one completes every LATENCY_MS / n (each
 * extra request adds throughput), or, `saturated`, every LATENCY_MS / 2 however many are
 * open (a server that is at its limit from 2 requests on).
 */
function slowRemote(saturated = false): {
  clock: () => number
  load: PrefetchLoader
  settle(idx: number): boolean
  settleAll(): void
  unsettled(): number
  maxUnsettled(): number
} {
  const open = new Map<number, (d: Uint8Array) => void>()
  let max = 0
  let now = 0
  return {
    clock: () => now,
    load: (_pid, idx, signal) => {
      const d = deferred<Uint8Array | undefined>()
      open.set(idx, d.resolve)
      max = Math.max(max, open.size)
      setMaxListeners(0, signal)
      signal.addEventListener('abort', () => d.reject(signal.reason), { once: true })
      return d.promise
    },
    settle(idx) {
      const resolve = open.get(idx)
      if (resolve === undefined) return false
      now += LATENCY_MS / (saturated ? 2 : Math.max(1, open.size))
      open.delete(idx)
      resolve(new Uint8Array(BS).fill(idx & 0xff))
      return true
    },
    settleAll() {
      for (const idx of [...open.keys()]) this.settle(idx)
    },
    unsettled: () => open.size,
    maxUnsettled: () => max,
  }
}

function open(
  buffer: ReadBuffer,
  remote: { load: PrefetchLoader; clock: () => number },
  extra: Partial<PrefetcherOptions>,
) {
  const p = createPrefetcher({ buffer, load: remote.load, clock: remote.clock, ...extra })
  assert.ok(p instanceof PoolPrefetcher)
  buffer.attachObserver(p)
  return p
}

/** Answers every load, including those started meanwhile, until the prefetcher is idle. */
async function drain(p: PoolPrefetcher, remote: ReturnType<typeof slowRemote>): Promise<void> {
  while (remote.unsettled() > 0 || p.stats().inFlight > 0 || p.stats().pending > 0) {
    remote.settleAll()
    await settleTicks()
  }
  await p.whenIdle()
}

/** Lets workers take queued requests and settled loads reach the buffer. */
async function settleTicks(): Promise<void> {
  for (let i = 0; i < 5; i++) await tick()
}

/**
 * One sequential read of block `idx` as the engine does it: look in the buffer; on a miss,
 * wait for the prefetch load of that block if there is one, else load it on demand.
 */
async function readBlock(
  buf: ReadBuffer,
  remote: ReturnType<typeof slowRemote>,
  pid: string,
  idx: number,
): Promise<'hit' | 'waited' | 'demand'> {
  const dest = new Uint8Array(BS)
  let outcome: 'hit' | 'waited' | 'demand' = 'hit'
  if (buf.get(pid, idx, dest, 0) === undefined) {
    outcome = remote.settle(idx) ? 'waited' : 'demand'
    await settleTicks()
    // The engine's reader puts what it fetched itself (joined or not) and copies its bytes.
    buf.put(pid, idx, new Uint8Array(BS).fill(idx & 0xff))
  }
  buf.notifyRead(pid, idx * BS, BS)
  await settleTicks()
  return outcome
}

describe('adaptive prefetch depth', () => {
  it('a reader that keeps catching up with read-ahead gets more loads in flight, up to maxWorkers', async () => {
    await using buf = createReadBuffer(BS * 256, { blockSize: BS })
    const remote = slowRemote()
    await using p = open(buf, remote, { workers: 2, maxWorkers: 8 })
    const outcomes: string[] = []
    for (let idx = 0; idx < 40; idx++) outcomes.push(await readBlock(buf, remote, 'f', idx))
    // Every read past the threshold found its block still loading: the reader waited.
    assert.ok(outcomes.filter((o) => o === 'waited').length >= 30, outcomes.join(' '))
    const s = p.stats()
    assert.equal(s.limit, 8)
    assert.ok(s.late >= 30)
    // The fixed pool kept 2 loads open; the adaptive one reached its ceiling.
    assert.equal(remote.maxUnsettled(), 8)
    assert.equal(remote.unsettled(), 8)
    assert.equal(s.inFlight, 8)
    assert.equal(s.wasted, 0)
  })

  it('the pool stops growing once one more load in flight no longer raises the load rate', async () => {
    await using buf = createReadBuffer(BS * 256, { blockSize: BS })
    const remote = slowRemote(true)
    await using p = open(buf, remote, { workers: 2, maxWorkers: 8 })
    for (let idx = 0; idx < 40; idx++) await readBlock(buf, remote, 'f', idx)
    const s = p.stats()
    // One step up is taken to measure it; it brought nothing, so growth paused there.
    assert.equal(s.limit, 3)
    assert.equal(s.plateau, true)
    assert.ok(s.late >= 30)
    assert.equal(remote.maxUnsettled(), 3)
  })

  it('with maxWorkers equal to workers the pool stays fixed', async () => {
    await using buf = createReadBuffer(BS * 256, { blockSize: BS })
    const remote = slowRemote()
    await using p = open(buf, remote, { workers: 2, maxWorkers: 2 })
    for (let idx = 0; idx < 30; idx++) await readBlock(buf, remote, 'f', idx)
    assert.equal(p.stats().limit, 2)
    assert.ok(p.stats().late > 0)
    assert.equal(remote.maxUnsettled(), 2)
  })

  it('a reader served in time never grows the pool', async () => {
    await using buf = createReadBuffer(BS * 256, { blockSize: BS })
    const remote = slowRemote()
    await using p = open(buf, remote, { workers: 2, maxWorkers: 8 })
    for (let idx = 0; idx < 30; idx++) {
      // The remote answers every load before the reader gets there.
      await drain(p, remote)
      await readBlock(buf, remote, 'f', idx)
    }
    const s = p.stats()
    assert.equal(s.limit, 2)
    assert.equal(s.late, 0)
    assert.ok(remote.maxUnsettled() <= 2)
  })

  it('a consumer that slows down or stops does not run read-ahead away: blocks ahead stay within the window', async () => {
    await using buf = createReadBuffer(BS * 256, { blockSize: BS })
    const remote = slowRemote()
    await using p = open(buf, remote, { workers: 2, maxWorkers: 8 })
    // Fast phase: grow the pool to its ceiling.
    for (let idx = 0; idx < 40; idx++) await readBlock(buf, remote, 'f', idx)
    assert.equal(p.stats().limit, 8)
    // The remote now answers everything at once, and the reader stops at block 29.
    await drain(p, remote)
    const loadedBefore = p.stats().loaded
    const ahead = (from: number): number => {
      let n = 0
      for (let k = from + 1; k < 200; k++) if (buf.contains('f', k)) n++
      return n
    }
    // Nothing beyond the window (2 x limit blocks) past the last read block was loaded.
    assert.ok(ahead(39) <= 16, `ahead ${ahead(39)}`)
    await settleTicks()
    assert.equal(p.stats().loaded, loadedBefore, 'a stopped reader triggers no more loads')
    // A slow consumer: each read is followed by every load completing before the next read.
    for (let idx = 40; idx < 70; idx++) {
      await readBlock(buf, remote, 'f', idx)
      await drain(p, remote)
      assert.ok(ahead(idx) <= 16, `ahead of ${idx}: ${ahead(idx)}`)
    }
    assert.equal(remote.unsettled(), 0)
  })

  it('prefetched blocks evicted unread halve the pool, down to the configured workers', async () => {
    await using buf = createReadBuffer(BS * 96, { blockSize: BS })
    const remote = slowRemote()
    await using p = open(buf, remote, { workers: 2, maxWorkers: 8 })
    for (let idx = 0; idx < 40; idx++) await readBlock(buf, remote, 'f', idx)
    assert.equal(p.stats().limit, 8)
    await drain(p, remote)
    // Another reader's data pushes the unread read-ahead out of the buffer.
    for (let k = 0; k < 96; k++) buf.put('other', k, new Uint8Array(BS))
    const s = p.stats()
    assert.ok(s.wasted >= 2, `wasted ${s.wasted}`)
    assert.equal(s.limit, 2)
  })

  it('the read buffer bounds the pool: loads in flight plus the window stay in half the budget', async () => {
    await using buf = createReadBuffer(BS * 24, { blockSize: BS })
    const remote = slowRemote()
    await using p = open(buf, remote, { workers: 2, maxWorkers: 16 })
    for (let idx = 0; idx < 40; idx++) await readBlock(buf, remote, 'f', idx)
    // 24 blocks: 4 loads in flight and 8 blocks of window = 12 = half the budget.
    assert.equal(p.stats().limit, 4)
    assert.equal(remote.maxUnsettled(), 4)
  })

  it('maxWorkers below workers is a mistake', async () => {
    await using buf = createReadBuffer(BS * 24, { blockSize: BS })
    assert.throws(
      () =>
        createPrefetcher({ buffer: buf, load: async () => undefined, workers: 4, maxWorkers: 2 }),
      RangeError,
    )
  })

  it('the window counts: grows by one per late read at a busy pool while the rate rises, halves per waste', () => {
    let now = 0
    const w = new AdaptiveWindow(2, 6, 1000, () => now)
    w.onBusy()
    /** `limit` loads complete at `perLoadMs` apart. */
    const level = (perLoadMs: number): void => {
      for (let i = 0; i < w.limit; i++) {
        now += perLoadMs
        w.onLoaded()
      }
    }
    assert.equal(w.onLate(1), false, 'a pool with a free slot is not the bottleneck')
    assert.equal(w.onLate(2), false, 'a level is judged after as many loads as it runs')
    assert.equal(w.limit, 2)
    for (let limit = 2; limit < 6; limit++) {
      level(20 / limit)
      assert.equal(w.onLate(limit), true, `grows from ${limit}`)
    }
    level(20 / 6)
    assert.equal(w.onLate(6), false, 'at the ceiling')
    assert.equal(w.limit, 6)
    assert.equal(w.depthFor(8), 12)
    w.onWasted()
    assert.equal(w.limit, 3)
    w.onWasted()
    assert.equal(w.limit, 2)
    assert.equal(w.depthFor(8), 8)
    // Idle time between streams does not count against a level.
    w.onIdle()
    now += 10_000
    w.onBusy()
    level(10)
    assert.equal(w.onLate(2), true)
    // The next level is no faster: growth pauses until the limit shrinks.
    level(10)
    assert.equal(w.onLate(3), false)
    assert.equal(w.plateau, true)
    assert.equal(w.limit, 3)
    // A paused level probes again after 16 x limit more loads (one noisy sample must not cap
    // a long stream): one step up, measured afresh.
    for (let i = 0; i < 16 * 3 - 1; i++) {
      now += 10
      w.onLoaded()
    }
    assert.equal(w.plateau, true)
    now += 10
    w.onLoaded()
    assert.equal(w.plateau, false)
    assert.equal(w.onLate(3), true, 'the probe step is not judged')
    assert.equal(w.limit, 4)
    level(5)
    assert.equal(w.onLate(4), true, 'twice the rate of the paused level: keep growing')
    level(5)
    assert.equal(w.onLate(5), false, 'no faster than the level below')
    assert.equal(w.plateau, true)
    assert.equal(w.limit, 5)
    w.onWasted()
    assert.equal(w.plateau, false)
    assert.equal(new AdaptiveWindow(4, 16, 12).max, 4, 'a small budget keeps the base')
  })
})
