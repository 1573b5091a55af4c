/**
 * Sequential read-ahead into the read buffer: a {@link SequentialDetector} decides which
 * blocks follow a sequential reader, a bounded pool of async workers loads them through an
 * injected loader and puts them into the buffer with the generation taken before the load.
 */
import { DefaultPrefetchWorkers } from '../core/constants.js'
import { AdaptiveWindow, PrefetchGrowthFactor } from './adaptive-window.js'
import { assertIndex } from './block-range.js'
import type {
  Prefetcher,
  PrefetcherOptions,
  PrefetcherStats,
  PrefetchLoader,
} from './prefetch-types.js'
import type { ReadBuffer } from './read-buffer.js'
import {
  PrefetchMaxDepth,
  SequentialDetector,
  type SequentialTracker,
} from './sequential-detector.js'

export type {
  Prefetcher,
  PrefetcherOptions,
  PrefetcherStats,
  PrefetchLoader,
} from './prefetch-types.js'

const ZERO_STATS: PrefetcherStats = Object.freeze({
  queued: 0,
  dropped: 0,
  skipped: 0,
  suppressed: 0,
  loaded: 0,
  rejected: 0,
  errors: 0,
  inFlight: 0,
  pending: 0,
  limit: 0,
  late: 0,
  wasted: 0,
  plateau: false,
})

/** Prefetcher of a disabled buffer or of 0 workers: every method is a no-op. */
export class NullPrefetcher implements Prefetcher {
  readonly enabled = false
  onRead(_payloadId: string, _blockIdx: number, _payloadSize?: number): void {}
  onMiss(_payloadId: string, _blockIdx: number): void {}
  onEvictUnread(_payloadId: string, _blockIdx: number): void {}
  reset(_payloadId: string): void {}
  submit(_payloadId: string, _blockIdx: number, _payloadSize?: number): void {}
  tracker(_payloadId: string): undefined {
    return undefined
  }
  stats(): PrefetcherStats {
    return ZERO_STATS
  }
  async whenIdle(): Promise<void> {}
  async close(): Promise<void> {}
  async [Symbol.asyncDispose](): Promise<void> {}
}

/**
 * Creates the prefetcher of one engine, or the {@link NullPrefetcher} when the buffer is
 * disabled or `workers` is 0. Workers start on demand, so creation has no side effect;
 * wire it with `buffer.attachObserver(prefetcher)`.
 * @throws {RangeError} when workers, maxWorkers or queueCapacity is negative or not an
 *   integer, or maxWorkers is below workers.
 */
export function createPrefetcher(options: PrefetcherOptions): Prefetcher {
  const workers = options.workers ?? DefaultPrefetchWorkers
  assertIndex(workers, 'workers')
  const maxWorkers = options.maxWorkers ?? workers * PrefetchGrowthFactor
  assertIndex(maxWorkers, 'maxWorkers')
  if (maxWorkers < workers) {
    throw new RangeError(`maxWorkers (${maxWorkers}) must be at least workers (${workers})`)
  }
  const queueCapacity = options.queueCapacity ?? workers * 4
  assertIndex(queueCapacity, 'queueCapacity')
  if (workers === 0 || !options.buffer.enabled) return new NullPrefetcher()
  const budgetBlocks = Math.floor(options.buffer.maxBytes / options.buffer.blockSize)
  const window = new AdaptiveWindow(workers, maxWorkers, budgetBlocks, options.clock)
  return new PoolPrefetcher(options, window, queueCapacity)
}

interface Request {
  readonly payloadId: string
  readonly blockIdx: number
  /** The payload's size when the read that queued it knew it (see ReadBufferPutOptions). */
  readonly payloadSize: number | undefined
}

/** The enabled prefetcher; build it with {@link createPrefetcher}. */
export class PoolPrefetcher implements Prefetcher {
  readonly enabled = true
  readonly #buffer: ReadBuffer
  readonly #load: PrefetchLoader
  readonly #isLocal: PrefetcherOptions['isLocal']
  readonly #isRemoteHealthy: () => boolean
  readonly #onError: PrefetcherOptions['onError']
  readonly #window: AdaptiveWindow
  readonly #capacity: number
  readonly #detector: SequentialDetector
  readonly #abort = new AbortController()
  readonly #queue: Request[] = []
  // Queued or in flight, per payload: a block is never requested twice at once.
  readonly #pending = new Map<string, Set<number>>()
  readonly #tasks = new Set<Promise<void>>()
  #closing: Promise<void> | undefined
  // Workers alive, kept synchronously (a finished task leaves #tasks a microtask later).
  #running = 0
  #inFlight = 0
  #counts = { queued: 0, dropped: 0, skipped: 0, suppressed: 0, loaded: 0, rejected: 0, errors: 0 }

  /** Use {@link createPrefetcher}, which validates the options. */
  constructor(options: PrefetcherOptions, window: AdaptiveWindow, queueCapacity: number) {
    this.#buffer = options.buffer
    this.#load = options.load
    this.#isLocal = options.isLocal
    this.#isRemoteHealthy = options.isRemoteHealthy ?? (() => true)
    this.#onError = options.onError
    this.#window = window
    this.#capacity = queueCapacity
    this.#detector = new SequentialDetector(options.maxTrackers)
  }

  onRead(payloadId: string, blockIdx: number, payloadSize?: number): void {
    if (this.#closing !== undefined) return
    assertIndex(blockIdx, 'blockIdx')
    const maxDepth = this.#window.depthFor(PrefetchMaxDepth)
    const { first, count } = this.#detector.onRead(payloadId, blockIdx, maxDepth)
    if (count === 0) return
    if (!this.#isRemoteHealthy()) {
      this.#counts.suppressed += count
      return
    }
    for (let idx = first; idx < first + count; idx++) this.submit(payloadId, idx, payloadSize)
  }

  /**
   * A read missed the buffer on this block. When the block is queued or loading, the reader
   * caught up with read-ahead and waits: the window may grow (see adaptive-window.ts).
   */
  onMiss(payloadId: string, blockIdx: number): void {
    if (this.#closing !== undefined || !this.#isPending(payloadId, blockIdx)) return
    if (this.#window.onLate(this.#inFlight)) this.#pump()
  }

  /** A block this prefetcher loaded was evicted unread: read-ahead outran the reader. */
  onEvictUnread(_payloadId: string, _blockIdx: number): void {
    this.#window.onWasted()
  }

  reset(payloadId: string): void {
    this.#detector.reset(payloadId)
  }

  submit(payloadId: string, blockIdx: number, payloadSize?: number): void {
    if (this.#closing !== undefined) return
    if (this.#isPending(payloadId, blockIdx) || this.#buffer.contains(payloadId, blockIdx)) {
      this.#counts.skipped++
      return
    }
    if (this.#queue.length >= Math.max(this.#capacity, 2 * this.#window.limit)) {
      this.#counts.dropped++
      return
    }
    this.#queue.push({ payloadId, blockIdx, payloadSize })
    this.#setPending(payloadId, blockIdx, true)
    this.#counts.queued++
    this.#pump()
  }

  tracker(payloadId: string): SequentialTracker | undefined {
    return this.#detector.tracker(payloadId)
  }

  stats(): PrefetcherStats {
    return {
      ...this.#counts,
      inFlight: this.#inFlight,
      pending: this.#queue.length,
      limit: this.#window.limit,
      late: this.#window.late,
      wasted: this.#window.wasted,
      plateau: this.#window.plateau,
    }
  }

  async whenIdle(): Promise<void> {
    while (this.#tasks.size > 0) await Promise.all(this.#tasks)
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown()
    return this.#closing
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  async #shutdown(): Promise<void> {
    for (const req of this.#queue.splice(0)) this.#setPending(req.payloadId, req.blockIdx, false)
    this.#detector.clear()
    this.#abort.abort()
    await Promise.all(this.#tasks)
  }

  /** Starts workers for queued requests up to the current limit. */
  #pump(): void {
    // A new worker takes its request synchronously, so the queue shrinks as the loop runs.
    while (this.#running < this.#window.limit && this.#queue.length > 0) this.#spawn()
  }

  #spawn(): void {
    if (this.#running === 0) this.#window.onBusy()
    this.#running++
    const task = this.#work().finally(() => this.#tasks.delete(task))
    this.#tasks.add(task)
  }

  /** A worker: drains the queue and exits when it is empty (respawned by the next submit). */
  async #work(): Promise<void> {
    const signal = this.#abort.signal
    try {
      // A worker above a limit that shrank meanwhile exits at its next request.
      for (
        let req = this.#next(this.#running);
        req !== undefined;
        req = this.#next(this.#running)
      ) {
        this.#inFlight++
        try {
          await this.#run(req, signal)
        } catch (err) {
          if (!signal.aborted) this.#fail(err, req)
        } finally {
          this.#inFlight--
          this.#setPending(req.payloadId, req.blockIdx, false)
        }
      }
    } finally {
      this.#running--
      if (this.#running === 0) this.#window.onIdle()
    }
  }

  /** The next request, or undefined when the queue is empty or `running` exceeds the limit. */
  #next(running: number): Request | undefined {
    if (running > this.#window.limit) return undefined
    return this.#queue.shift()
  }

  async #run(req: Request, signal: AbortSignal): Promise<void> {
    const { payloadId, blockIdx, payloadSize } = req
    if (!this.#isRemoteHealthy()) {
      this.#counts.suppressed++
      return
    }
    if (this.#buffer.contains(payloadId, blockIdx)) {
      this.#counts.skipped++
      return
    }
    // Taken before any read: a write that lands during the load makes the put stale.
    const generation = this.#buffer.generation(payloadId)
    if (this.#isLocal !== undefined && (await this.#isLocal(payloadId, blockIdx))) {
      this.#counts.skipped++
      return
    }
    if (signal.aborted) return
    const data = await this.#load(payloadId, blockIdx, signal)
    if (signal.aborted || data === undefined) return
    this.#window.onLoaded()
    // A reader that waited for this very load put it first: it is read, not read-ahead that
    // might be wasted, and re-putting it as prefetched would count it so once evicted.
    if (this.#buffer.contains(payloadId, blockIdx)) {
      this.#counts.skipped++
      return
    }
    if (
      this.#buffer.put(payloadId, blockIdx, data, {
        generation,
        prefetched: true,
        adopt: true,
        streamed: true,
        payloadSize,
      })
    ) {
      this.#counts.loaded++
    } else {
      this.#counts.rejected++
    }
  }

  #fail(err: unknown, req: Request): void {
    this.#counts.errors++
    try {
      this.#onError?.(err, req.payloadId, req.blockIdx)
    } catch {
      // An observer that throws must not kill the worker; the failure is already counted.
    }
  }

  #isPending(payloadId: string, blockIdx: number): boolean {
    return this.#pending.get(payloadId)?.has(blockIdx) ?? false
  }

  #setPending(payloadId: string, blockIdx: number, pending: boolean): void {
    let set = this.#pending.get(payloadId)
    if (pending) {
      if (set === undefined) {
        set = new Set()
        this.#pending.set(payloadId, set)
      }
      set.add(blockIdx)
    } else if (set !== undefined) {
      set.delete(blockIdx)
      if (set.size === 0) this.#pending.delete(payloadId)
    }
  }
}
