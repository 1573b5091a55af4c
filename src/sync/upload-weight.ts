/**
 * How much room a block takes in the uploader's bounds on blocks in progress and on the wire,
 * which count bytes rather than blocks.
 */
import { BlockSize } from '../core/constants.js'

/**
 * The least a block counts for in the uploader's byte bounds: 1/16 of a block, so at most 16
 * times `parallelism` small blocks are on the wire. Counting each block as a full one, a drain
 * of a tree of mostly small files to an fs remote kept 4 objects in flight (2-core default),
 * each waiting about 30 ms on the syncs that make it durable: 113 blocks/s, 39 MiB/s. Many
 * small objects in flight share those syncs (the fs remote group-commits them) and a PUT's
 * round trip on S3.
 */
export const MIN_WEIGHT = BlockSize / 16

/** What a block of `bytes` counts for in the uploader's byte bounds (0: size unknown, full). */
export function weightOf(bytes: number): number {
  return bytes <= 0 ? BlockSize : Math.max(MIN_WEIGHT, Math.min(bytes, BlockSize))
}
