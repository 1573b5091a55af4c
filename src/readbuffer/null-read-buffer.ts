/** The disabled read buffer: same API, stores nothing, so call sites never branch. */
import type {
  ReadBuffer,
  ReadBufferPutOptions,
  ReadBufferStats,
  ReadObserver,
} from './read-buffer.js'

const EMPTY_STATS: ReadBufferStats = Object.freeze({
  entries: 0,
  bytes: 0,
  maxBytes: 0,
  hits: 0,
  misses: 0,
  prefetchHits: 0,
  stalePuts: 0,
})

/** Read buffer of budget 0: every get misses, every put is dropped, stats stay zero. */
export class NullReadBuffer implements ReadBuffer {
  readonly enabled = false
  readonly maxBytes = 0
  readonly blockSize: number

  /** Use `createReadBuffer(0)`. */
  constructor(blockSize: number) {
    this.blockSize = blockSize
  }

  get(_payloadId: string, _blockIdx: number, _dest: Uint8Array, _offsetInBlock: number): undefined {
    return undefined
  }

  put(
    _payloadId: string,
    _blockIdx: number,
    _data: Uint8Array,
    _options?: ReadBufferPutOptions,
  ): boolean {
    return false
  }

  contains(_payloadId: string, _blockIdx: number): boolean {
    return false
  }

  generation(_payloadId: string): number {
    return 0
  }

  invalidate(_payloadId: string, _blockIdx: number): void {}

  invalidateRange(_payloadId: string, _offset: number, _length: number): void {}

  invalidateAboveSize(_payloadId: string, _newSize: number): void {}

  invalidateAndReset(_payloadId: string): void {}

  notifyRead(_payloadId: string, _offset: number, _length: number, _size?: number): void {}

  attachObserver(_observer: ReadObserver): void {}

  stats(): ReadBufferStats {
    return EMPTY_STATS
  }

  clear(): number {
    return 0
  }

  async close(): Promise<void> {}

  async [Symbol.asyncDispose](): Promise<void> {}
}
