/** Block arithmetic shared by the read buffer helpers. */

/** Inclusive range of block indexes covered by a byte range. */
export interface BlockRange {
  readonly first: number
  readonly last: number
}

/** Throws a RangeError unless `value` is a safe non-negative integer (a programmer mistake). */
export function assertIndex(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be a non-negative safe integer, got ${value}`)
  }
}

/**
 * Blocks covered by `[offset, offset + length)`, or undefined when `length` is 0.
 * @throws {RangeError} when offset, length or their sum is not a safe non-negative integer.
 */
export function coveredBlocks(
  offset: number,
  length: number,
  blockSize: number,
): BlockRange | undefined {
  assertIndex(offset, 'offset')
  assertIndex(length, 'length')
  assertIndex(offset + length, 'offset + length')
  if (length === 0) return undefined
  return {
    first: Math.floor(offset / blockSize),
    last: Math.floor((offset + length - 1) / blockSize),
  }
}

/** Number of blocks needed to hold `size` bytes (the first index a truncate to `size` drops). */
export function blocksForSize(size: number, blockSize: number): number {
  assertIndex(size, 'size')
  return Math.ceil(size / blockSize)
}
