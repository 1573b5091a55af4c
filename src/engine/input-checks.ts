/**
 * Input checks of the engine facade: every public call validates its arguments once, here,
 * before touching any store (stores below may then trust them).
 */
import { MaxPayloadSize } from '../core/constants.js'
import { BlockStoreError } from '../core/errors.js'
import type { ListPayloadsOptions } from '../core/metadata-store.js'

/**
 * Checks a read or write offset.
 * @throws {BlockStoreError} BS_INVALID_OFFSET unless a non-negative safe integer.
 */
export function checkOffset(offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new BlockStoreError('BS_INVALID_OFFSET', `invalid offset ${offset}`)
  }
}

/**
 * Checks that a write of `length` bytes at a valid `offset` stays within the largest payload.
 * @throws {BlockStoreError} BS_TOO_LARGE when it would end past it.
 */
export function checkWriteEnd(pid: string, offset: number, length: number): void {
  if (offset + length > MaxPayloadSize) {
    throw new BlockStoreError('BS_TOO_LARGE', `write ends past the largest payload size`, {
      op: 'writeAt',
      payloadId: pid,
    })
  }
}

/**
 * Checks a truncate size.
 * @throws {BlockStoreError} BS_INVALID_SIZE unless a non-negative safe integer; BS_TOO_LARGE
 * past the largest payload size.
 */
export function checkTruncateSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new BlockStoreError('BS_INVALID_SIZE', `invalid size ${size}`, { op: 'truncate' })
  }
  if (size > MaxPayloadSize) throw new BlockStoreError('BS_TOO_LARGE', `size ${size} too large`)
}

/**
 * Checks listing options coming from untyped callers (the server, JavaScript users).
 * @throws {BlockStoreError} BS_INVALID_ARGUMENT when the prefix is not a string.
 */
export function checkListOptions(options: ListPayloadsOptions | undefined): void {
  if (options?.prefix !== undefined && typeof options.prefix !== 'string') {
    throw new BlockStoreError('BS_INVALID_ARGUMENT', 'prefix must be a string')
  }
}
