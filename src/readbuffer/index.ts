/** Read buffer (in-memory LRU of whole blocks) and sequential prefetcher. */

export { createReadBuffer, type ReadBufferOptions } from './create-read-buffer.js'
export { LruReadBuffer } from './lru-read-buffer.js'
export { NullReadBuffer } from './null-read-buffer.js'
export {
  createPrefetcher,
  NullPrefetcher,
  PoolPrefetcher,
  type Prefetcher,
  type PrefetcherOptions,
  type PrefetcherStats,
  type PrefetchLoader,
} from './prefetcher.js'
export type {
  ReadBuffer,
  ReadBufferPutOptions,
  ReadBufferStats,
  ReadObserver,
} from './read-buffer.js'
export {
  PrefetchMaxDepth,
  PrefetchThreshold,
  SequentialDetector,
  type SequentialTracker,
} from './sequential-detector.js'
