/**
 * Options, counters and the interface of the sequential prefetcher (prefetcher.ts), apart from
 * its implementations.
 */
import type { Clock } from './adaptive-window.js'
import type { ReadBuffer, ReadObserver } from './read-buffer.js'
import type { SequentialTracker } from './sequential-detector.js'

/**
 * Loads one whole block (local data, else a remote fetch); undefined when it has none. The
 * returned bytes are handed to the buffer without a copy: nobody may modify them afterwards.
 */
export type PrefetchLoader = (
  payloadId: string,
  blockIdx: number,
  signal: AbortSignal,
) => Promise<Uint8Array | undefined>

/** Options of {@link createPrefetcher}. */
export interface PrefetcherOptions {
  /** Buffer to fill; a disabled buffer gives the null prefetcher. */
  readonly buffer: ReadBuffer
  /** Block loader; receives a signal aborted when the prefetcher closes. */
  readonly load: PrefetchLoader
  /**
   * Concurrent loads to start with, and the fewest ever allowed (default
   * {@link DefaultPrefetchWorkers}); 0 disables prefetch.
   */
  readonly workers?: number | undefined
  /**
   * The most concurrent loads the prefetcher may grow to while readers wait on it (default
   * workers x {@link PrefetchGrowthFactor}); the read buffer's budget bounds it further. Equal
   * to `workers` for a fixed pool.
   */
  readonly maxWorkers?: number | undefined
  /**
   * Queued requests beyond the running ones (default workers x 4, and at least twice the
   * current limit); more are dropped.
   */
  readonly queueCapacity?: number | undefined
  /** True when the block is in the local store: reading it is cheap, so it is not prefetched. */
  readonly isLocal?: ((payloadId: string, blockIdx: number) => Promise<boolean>) | undefined
  /** False while the remote is unhealthy: prefetch is suppressed then. */
  readonly isRemoteHealthy?: (() => boolean) | undefined
  /** Receives loader and local-check failures (they are also counted, never thrown). */
  readonly onError?: ((err: unknown, payloadId: string, blockIdx: number) => void) | undefined
  /** Payloads whose access pattern is remembered (default 4096). */
  readonly maxTrackers?: number | undefined
  /** Monotonic milliseconds for the load rate the pool's growth is judged by (tests). */
  readonly clock?: Clock | undefined
}

/** Counters of a prefetcher (all zero for the null prefetcher). */
export interface PrefetcherStats {
  /** Requests accepted into the queue. */
  readonly queued: number
  /** Requests dropped because the queue was full. */
  readonly dropped: number
  /** Requests skipped: already buffered, queued, in flight or local. */
  readonly skipped: number
  /** Requests not run because the remote was unhealthy. */
  readonly suppressed: number
  /** Blocks put into the buffer. */
  readonly loaded: number
  /** Blocks loaded but rejected by the buffer (a write raced the load, or over budget). */
  readonly rejected: number
  /** Loader or local-check failures. */
  readonly errors: number
  /** Loads running now. */
  readonly inFlight: number
  /** Requests waiting now. */
  readonly pending: number
  /** Concurrent loads allowed now (0 for the null prefetcher). */
  readonly limit: number
  /** Reads that missed the buffer on a block being prefetched (the reader caught up). */
  readonly late: number
  /** Prefetched blocks evicted before anyone read them. */
  readonly wasted: number
  /** True once one more load in flight stopped raising the load rate (growth paused). */
  readonly plateau: boolean
}

/** Sequential read-ahead; also the buffer's {@link ReadObserver}. */
export interface Prefetcher extends ReadObserver, AsyncDisposable {
  /** False for the null prefetcher. */
  readonly enabled: boolean
  /** Records a read of block `blockIdx` and queues read-ahead once the pattern is sequential. */
  onRead(payloadId: string, blockIdx: number, payloadSize?: number): void
  /** Forgets the payload's access pattern (write, truncate, delete). */
  reset(payloadId: string): void
  /** Queues one block for loading unless buffered, queued or the queue is full. */
  submit(payloadId: string, blockIdx: number, payloadSize?: number): void
  /** The payload's access-pattern state, if tracked. */
  tracker(payloadId: string): SequentialTracker | undefined
  /** Current counters. */
  stats(): PrefetcherStats
  /** Resolves once no request is queued or in flight (tests, orderly engine shutdown). */
  whenIdle(): Promise<void>
  /** Stops: drops queued requests, aborts in-flight loads and awaits them. Idempotent. */
  close(): Promise<void>
}
