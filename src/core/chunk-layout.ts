/**
 * Geometry of a block's chunk index: the per-chunk hashes that let a reader verify a small
 * range of a block without fetching the whole block. Pure arithmetic; the hashing lives in
 * src/platform/chunk-tree.ts and the format is described in docs/architecture.md.
 *
 * A block is cut into 4 KiB leaves; 16 leaves form a group (64 KiB). The index object holds
 * one fixed-size record per group: the group's leaf hashes, then the sibling hashes that
 * link the group to the block's chunk root (a binary hash tree over the group hashes). The
 * row keeps only the 32-byte root, so a reader fetches one record (736 bytes for an 8 MiB
 * block) with one ranged GET and verifies it against the row before trusting a leaf hash.
 */
import { HashSize } from './constants.js'

/** Bytes per leaf: the unit a ranged read is verified in (and rounded out to). */
export const ChunkLeafSize = 4096
/** Leaves per group: one index record covers this many leaves. */
export const ChunkGroupLeaves = 16
/** Bytes of leaf hashes in one record (always 16 slots; a short last group pads with zeros). */
export const ChunkLeafHashBytes = ChunkGroupLeaves * HashSize

/** Leaves of a block of `size` valid bytes. */
export function chunkLeafCount(size: number): number {
  return Math.ceil(size / ChunkLeafSize)
}

/** Groups (index records) of a block of `size` valid bytes. */
export function chunkGroupCount(size: number): number {
  return Math.ceil(chunkLeafCount(size) / ChunkGroupLeaves)
}

/** Levels of the tree over the groups: sibling hashes per record (0 for a single group). */
export function chunkTreeDepth(size: number): number {
  const groups = chunkGroupCount(size)
  let depth = 0
  while (2 ** depth < groups) depth++
  return depth
}

/** Bytes of one index record of a block of `size` bytes. */
export function chunkRecordSize(size: number): number {
  return ChunkLeafHashBytes + chunkTreeDepth(size) * HashSize
}

/** Bytes of the whole index object of a block of `size` bytes. */
export function chunkIndexSize(size: number): number {
  return chunkGroupCount(size) * chunkRecordSize(size)
}

/**
 * True when a block of `size` bytes gets a chunk index at upload: only blocks larger than one
 * group (64 KiB). A smaller block's index would be a single record, so a ranged read of it
 * takes two requests (record, then range) to save under 64 KiB of transfer, which costs no
 * more time than a 4 KiB range on an object store; it is fetched whole in one request and
 * checked against its content hash instead. Its upload then writes one object, not two (in
 * the ingest bench's tree, 79 % of blocks are this small, and each index object cost a PUT,
 * or a temp file, two fsyncs and a rename on a directory remote).
 */
export function hasChunkIndex(size: number): boolean {
  return size > ChunkGroupLeaves * ChunkLeafSize
}

/**
 * The block size of an object that holds a block followed by its chunk index, from the
 * object's size; `undefined` when no block size gives exactly that object size. For tools
 * that see objects without their rows (benchmarks splitting stored bytes, test doubles).
 */
export function blockSizeOfIndexedObject(objectSize: number): number | undefined {
  let lo = 0
  let hi = objectSize
  // size + chunkIndexSize(size) grows with size, so a binary search finds the one match.
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2)
    const total = mid + (hasChunkIndex(mid) ? chunkIndexSize(mid) : 0)
    if (total === objectSize) return mid
    if (total < objectSize) lo = mid + 1
    else hi = mid - 1
  }
  return undefined
}
