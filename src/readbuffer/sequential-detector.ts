/**
 * Per-payload sequential access detection for the prefetcher. Pure state, no I/O.
 *
 * The reference implementation reset its tracker on a repeated read of the same block, so small
 * sequential reads (sixteen 64 KiB reads per 8 MiB block) never triggered prefetch. Here a
 * read of the current block is neutral, the next block is progress, anything else resets.
 */

/** Sequential reads (block to next block) needed before prefetch starts. */
export const PrefetchThreshold = 2

/**
 * Largest prefetch window in blocks (64 MiB with 8 MiB blocks) while the prefetcher runs its
 * base number of loads; it widens the window when it runs more (see adaptive-window.ts).
 */
export const PrefetchMaxDepth = 8

/** Access-pattern state of one payload. */
export interface SequentialTracker {
  /** Last block read. */
  readonly lastIdx: number
  /** Block-to-next-block steps since the last reset. */
  readonly seqCount: number
  /** Blocks to prefetch at the next step (doubles up to the window, {@link PrefetchMaxDepth} by default). */
  readonly depth: number
}

/** Tracks access patterns per payload and says which blocks to prefetch. */
export class SequentialDetector {
  readonly #maxTrackers: number
  // Map order doubles as recency: a touched tracker is re-inserted, the oldest is dropped
  // first, so memory stays bounded on shares with millions of files.
  readonly #trackers = new Map<string, SequentialTracker>()

  /** Remembers the access pattern of at most `maxTrackers` payloads. */
  constructor(maxTrackers = 4096) {
    if (!Number.isSafeInteger(maxTrackers) || maxTrackers <= 0) {
      throw new RangeError(`maxTrackers must be a positive safe integer, got ${maxTrackers}`)
    }
    this.#maxTrackers = maxTrackers
  }

  /**
   * Records a read of `blockIdx` and returns the first and count of blocks to prefetch
   * (count 0 when the pattern is not, or not yet, sequential). `maxDepth` is the widest
   * window allowed now; a narrower one than before also shrinks the payload's window.
   */
  onRead(
    payloadId: string,
    blockIdx: number,
    maxDepth: number = PrefetchMaxDepth,
  ): { readonly first: number; readonly count: number } {
    const previous = this.#trackers.get(payloadId)
    let next: SequentialTracker
    let count = 0
    if (previous !== undefined && blockIdx === previous.lastIdx) {
      next = previous
    } else if (previous !== undefined && blockIdx === previous.lastIdx + 1) {
      const seqCount = previous.seqCount + 1
      let depth = previous.depth
      if (seqCount >= PrefetchThreshold) {
        count = Math.min(depth, maxDepth)
        depth = Math.min(depth * 2, maxDepth)
      }
      next = { lastIdx: blockIdx, seqCount, depth }
    } else {
      next = { lastIdx: blockIdx, seqCount: 0, depth: 1 }
    }
    this.#trackers.delete(payloadId)
    this.#trackers.set(payloadId, next)
    if (this.#trackers.size > this.#maxTrackers) {
      const oldest = this.#trackers.keys().next()
      if (oldest.done !== true) this.#trackers.delete(oldest.value)
    }
    return { first: blockIdx + 1, count }
  }

  /** The payload's tracker, if any (diagnostics and tests). */
  tracker(payloadId: string): SequentialTracker | undefined {
    return this.#trackers.get(payloadId)
  }

  /** Forgets the payload's pattern. */
  reset(payloadId: string): void {
    this.#trackers.delete(payloadId)
  }

  /** Forgets every pattern. */
  clear(): void {
    this.#trackers.clear()
  }

  /** Payloads tracked. */
  get size(): number {
    return this.#trackers.size
  }
}
