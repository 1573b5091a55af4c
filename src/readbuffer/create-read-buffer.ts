/**
 * `createReadBuffer`: the engine's read buffer, an LRU or the null buffer. Its own module, so
 * the contract (read-buffer.ts) and the two implementations import it without importing
 * each other.
 */
import { BlockSize } from '../core/constants.js'
import { LruReadBuffer } from './lru-read-buffer.js'
import { NullReadBuffer } from './null-read-buffer.js'
import type { ReadBuffer } from './read-buffer.js'

/** Options of {@link createReadBuffer}. */
export interface ReadBufferOptions {
  /** Block size of the byte-range helpers (default {@link BlockSize}; tests use small ones). */
  readonly blockSize?: number | undefined
  /**
   * Payloads whose generation is remembered before the table is reset (every in-flight
   * fill is then treated as stale once). Default 65536.
   */
  readonly generationTableLimit?: number | undefined
}

/**
 * Creates the read buffer of one engine: an LRU of `maxBytes`, or the null buffer when
 * `maxBytes <= 0`.
 * @throws {RangeError} when maxBytes is not a safe integer or an option is out of range.
 */
export function createReadBuffer(maxBytes: number, options: ReadBufferOptions = {}): ReadBuffer {
  if (!Number.isSafeInteger(maxBytes)) {
    throw new RangeError(`maxBytes must be a safe integer, got ${maxBytes}`)
  }
  const blockSize = options.blockSize ?? BlockSize
  if (!Number.isSafeInteger(blockSize) || blockSize <= 0) {
    throw new RangeError(`blockSize must be a positive safe integer, got ${blockSize}`)
  }
  if (maxBytes <= 0) return new NullReadBuffer(blockSize)
  const limit = options.generationTableLimit ?? 65536
  if (!Number.isSafeInteger(limit) || limit <= 0) {
    throw new RangeError(`generationTableLimit must be a positive safe integer, got ${limit}`)
  }
  return new LruReadBuffer(maxBytes, blockSize, limit)
}
