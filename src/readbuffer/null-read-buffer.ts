/** The disabled read buffer: same API, stores nothing, so call sites never branch. */
import type { AbortOptions } from '../core/abort.js'
import type { FillResult, ReadBuffer, ReadBufferStats } from './read-buffer.js'

const EMPTY_STATS: ReadBufferStats = Object.freeze({
  entries: 0,
  bytes: 0,
  maxBytes: 0,
  hits: 0,
  misses: 0,
  prefetchHits: 0,
  stalePuts: 0,
})

const EMPTY_FILL: FillResult = Object.freeze({ filled: 0, skipped: 0, stale: 0, errors: [] })

/** Read buffer of budget 0: every get misses, every put is dropped, stats stay zero. */
export class NullReadBuffer implements ReadBuffer {
  readonly enabled = false
  readonly maxBytes = 0
  readonly blockSize: number

  /** Use `createReadBuffer(0)`. */
  constructor(blockSize: number) {
    this.blockSize = blockSize
  }

  get(): undefined {
    return undefined
  }

  put(): boolean {
    return false
  }

  contains(): boolean {
    return false
  }

  generation(): number {
    return 0
  }

  invalidate(): void {}

  invalidateFile(): void {}

  invalidateAbove(): void {}

  invalidateRange(): void {}

  invalidateAboveSize(): void {}

  invalidateAndReset(): void {}

  notifyRead(): void {}

  /** Loads nothing: with no buffer there is nothing to fill. */
  async fillFromStore(
    _payloadId: string,
    _offset: number,
    _length: number,
    _load: unknown,
    options?: AbortOptions,
  ): Promise<FillResult> {
    options?.signal?.throwIfAborted()
    return EMPTY_FILL
  }

  attachObserver(): void {}

  stats(): ReadBufferStats {
    return EMPTY_STATS
  }

  async close(): Promise<void> {}

  async [Symbol.asyncDispose](): Promise<void> {}
}
