/**
 * Argument checks of the local store's public methods.
 */
import { BlockSize, MaxBlockIndex, MaxPayloadSize } from '../../core/constants.js'
import { BlockStoreError } from '../../core/errors.js'
import type { RemoteBlockRef } from '../../core/local-store.js'

/** @throws {BlockStoreError} BS_INVALID_OFFSET unless a non-negative safe integer. */
export function checkOffset(offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new BlockStoreError('BS_INVALID_OFFSET', `invalid offset ${offset}`)
  }
  if (offset + length > MaxPayloadSize) {
    throw new BlockStoreError(
      'BS_TOO_LARGE',
      `offset ${offset} + ${length} exceeds the maximum size`,
    )
  }
}

/** @throws {BlockStoreError} BS_INVALID_SIZE unless a size in `[0, MaxPayloadSize]`. */
export function checkSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0 || size > MaxPayloadSize) {
    throw new BlockStoreError('BS_INVALID_SIZE', `invalid size ${size}`)
  }
}

/** @throws {BlockStoreError} BS_INVALID_OFFSET unless a valid block index. */
export function checkBlockIdx(idx: number): void {
  if (!Number.isSafeInteger(idx) || idx < 0 || idx > MaxBlockIndex) {
    throw new BlockStoreError('BS_INVALID_OFFSET', `invalid block index ${idx}`)
  }
}

/** @throws {BlockStoreError} BS_INVALID_ARGUMENT unless a key and a size of at most one block. */
export function checkSource(source: RemoteBlockRef): void {
  const { blockStoreKey, dataSize } = source
  if (typeof blockStoreKey !== 'string' || blockStoreKey === '') {
    throw new BlockStoreError('BS_INVALID_ARGUMENT', 'a shared block needs a remote key')
  }
  if (!Number.isSafeInteger(dataSize) || dataSize <= 0 || dataSize > BlockSize) {
    throw new BlockStoreError('BS_INVALID_ARGUMENT', `invalid shared block size ${dataSize}`)
  }
}

/** @throws {BlockStoreError} BS_INVALID_ARGUMENT unless at most one block of bytes. */
export function checkReplacement(data: Uint8Array): void {
  if (!(data instanceof Uint8Array) || data.length > BlockSize) {
    throw new BlockStoreError('BS_INVALID_ARGUMENT', 'a block replacement is at most one block')
  }
}
