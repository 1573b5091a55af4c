/**
 * Shared argument checks of the remote stores: bad ranges are errors, never a crash or a
 * silent "not found".
 */
import { BlockStoreError } from '../core/errors.js'

/**
 * Checks the arguments of `readBlockRange` before any I/O: `offset` a non-negative safe
 * integer, `length` a positive safe integer, `offset + length` still safe.
 * @throws {BlockStoreError} BS_INVALID_OFFSET or BS_INVALID_SIZE.
 */
export function checkRangeArgs(key: string, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new BlockStoreError('BS_INVALID_OFFSET', `invalid offset ${offset} for ${key}`, {
      key,
      op: 'readBlockRange',
    })
  }
  if (!Number.isSafeInteger(length) || length <= 0) {
    throw new BlockStoreError('BS_INVALID_SIZE', `invalid length ${length} for ${key}`, {
      key,
      op: 'readBlockRange',
    })
  }
  if (!Number.isSafeInteger(offset + length)) {
    throw new BlockStoreError('BS_INVALID_SIZE', `range ${offset}+${length} overflows`, {
      key,
      op: 'readBlockRange',
    })
  }
}

/**
 * The error for an offset at or past the end of an object of `size` bytes.
 */
export function offsetPastEnd(key: string, offset: number, size: number): BlockStoreError {
  return new BlockStoreError(
    'BS_INVALID_OFFSET',
    `offset ${offset} is at or past the end of ${key} (${size} bytes)`,
    { key, op: 'readBlockRange', size },
  )
}

/** The error for a missing object. */
export function blockNotFound(key: string, backend: string, cause?: unknown): BlockStoreError {
  return new BlockStoreError('BS_BLOCK_NOT_FOUND', `no object "${key}" in the ${backend} store`, {
    key,
    backend,
    cause,
  })
}

/** The error of every data operation after `close()`. */
export function storeClosed(backend: string, op: string): BlockStoreError {
  return new BlockStoreError('BS_STORE_CLOSED', `${backend} remote store is closed`, {
    backend,
    op,
  })
}

/**
 * Compares two keys by their UTF-8 bytes: the order S3 lists in, so every backend lists in
 * the same order (plain `<` on strings compares UTF-16 units and differs past U+FFFF).
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!
    const y = b.codePointAt(i)!
    if (x !== y) return x < y ? -1 : 1
    // Skip the low half of a surrogate pair (both strings share it at this point).
    if (x > 0xffff) i++
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0
}
