/** Read buffer (in-memory LRU of whole blocks) and sequential prefetcher. */
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
export {
  createReadBuffer,
  type ReadBuffer,
  type ReadBufferOptions,
  type ReadBufferPutOptions,
  type ReadBufferStats,
  type ReadObserver,
} from './read-buffer.js'
export {
  PrefetchMaxDepth,
  PrefetchThreshold,
  SequentialDetector,
  type SequentialTracker,
} from './sequential-detector.js'
