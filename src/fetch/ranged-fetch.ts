/**
 * Verified ranged reads: a small piece of a remote block is fetched with a ranged GET and
 * checked leaf by leaf (4 KiB) against the block's chunk index before a byte is served. The
 * index record of each group the range touches is fetched by range too (in parallel with the
 * data), verified against the row's chunk root, and its leaf hashes are kept in a small LRU:
 * once a group's hashes are known a read costs one request. Format: src/core/chunk-layout.ts
 * and src/platform/chunk-tree.ts.
 */
import type { FileBlock } from '../core/block.js'
import { ChunkGroupLeaves, ChunkLeafSize, chunkRecordSize } from '../core/chunk-layout.js'
import { HashSize } from '../core/constants.js'
import { BlockStoreError } from '../core/errors.js'
import type { ContentHash } from '../core/hash.js'
import { formatChunkIndexKey, hasIndexTrailer } from '../core/keys.js'
import { leafHash, verifyChunkRecord } from '../platform/chunk-tree.js'

/** Fetches `[offset, offset + length)` of the object `key` on behalf of `row`. */
export type RangeGetter = (
  row: FileBlock,
  key: string,
  offset: number,
  length: number,
) => Promise<Uint8Array>

/** Counters of a {@link RangeVerifier}. */
export interface RangeVerifierStats {
  /** Ranged GETs of chunk index records. */
  readonly indexFetches: number
  /** Bytes of chunk index records downloaded. */
  readonly indexBytes: number
  /** Groups whose leaf hashes were found in the cache. */
  readonly indexHits: number
}

/** Verified group leaf hashes kept (512 bytes each: 8 MiB, covering 1 GiB of blocks). */
const DEFAULT_CACHED_GROUPS = 16_384

/** Fetches and verifies ranges of blocks that have a chunk index. */
export class RangeVerifier {
  readonly #get: RangeGetter
  readonly #capacity: number
  /** `"{root hex}/{group}"` → verified leaf hashes; Map order is the LRU order. */
  readonly #groups = new Map<string, Uint8Array>()
  /** Index record fetches in flight, so concurrent readers of a group share one GET. */
  readonly #pending = new Map<string, Promise<Uint8Array[]>>()
  #stats = { indexFetches: 0, indexBytes: 0, indexHits: 0 }

  constructor(get: RangeGetter, cachedGroups = DEFAULT_CACHED_GROUPS) {
    this.#get = get
    this.#capacity = Math.max(1, cachedGroups)
  }

  /**
   * Bytes `[offset, offset + length)` of `row`'s block (clamped to its size), verified. The
   * data GET is widened to whole leaves so every byte served was hashed.
   * @throws {BlockStoreError} BS_INTEGRITY_CHECK_FAILED when the index record or the data do
   * not match the row's chunk root; the getter's errors otherwise.
   */
  async read(
    row: FileBlock,
    root: ContentHash,
    offset: number,
    length: number,
  ): Promise<Uint8Array> {
    const size = row.dataSize
    const want = Math.min(length, size - offset)
    if (want <= 0) return new Uint8Array(0)
    const first = Math.floor(offset / ChunkLeafSize)
    const last = Math.floor((offset + want - 1) / ChunkLeafSize)
    const start = first * ChunkLeafSize
    const end = Math.min(size, (last + 1) * ChunkLeafSize)
    const g0 = Math.floor(first / ChunkGroupLeaves)
    const g1 = Math.floor(last / ChunkGroupLeaves)
    const [body, groups] = await Promise.all([
      this.#get(row, row.blockStoreKey, start, end - start),
      this.#leafHashes(row, root, g0, g1),
    ])
    if (body.length !== end - start) {
      throw integrity(
        row,
        `range of ${end - start} bytes at ${start} came back with ${body.length}`,
      )
    }
    for (let leaf = first; leaf <= last; leaf++) {
      const at = (leaf - first) * ChunkLeafSize
      const got = leafHash(body.subarray(at, at + ChunkLeafSize))
      const group = groups[Math.floor(leaf / ChunkGroupLeaves) - g0]!
      const slot = (leaf % ChunkGroupLeaves) * HashSize
      if (!sameBytes(got, group.subarray(slot, slot + HashSize))) {
        throw integrity(
          row,
          `leaf ${leaf} (bytes ${leaf * ChunkLeafSize}..) does not match its hash`,
        )
      }
    }
    return body.subarray(offset - start, offset - start + want)
  }

  /** Counters. */
  stats(): RangeVerifierStats {
    return { ...this.#stats }
  }

  /** Verified leaf hashes of groups `g0..g1`, from the cache or one ranged GET of the index. */
  async #leafHashes(
    row: FileBlock,
    root: ContentHash,
    g0: number,
    g1: number,
  ): Promise<Uint8Array[]> {
    const prefix = `${root.toString()}/`
    const cached: (Uint8Array | undefined)[] = []
    let m0 = -1
    let m1 = -1
    for (let g = g0; g <= g1; g++) {
      const hit = this.#groups.get(prefix + g)
      if (hit !== undefined) {
        // Refreshed in the LRU order.
        this.#groups.delete(prefix + g)
        this.#groups.set(prefix + g, hit)
        this.#stats.indexHits++
      } else {
        if (m0 < 0) m0 = g
        m1 = g
      }
      cached.push(hit)
    }
    if (m0 < 0) return cached as Uint8Array[]
    const span = `${prefix}${m0}-${m1}`
    let pending = this.#pending.get(span)
    if (pending === undefined) {
      pending = this.#fetchRecords(row, root, m0, m1)
      this.#pending.set(span, pending)
      const drop = (): void => {
        this.#pending.delete(span)
      }
      pending.then(drop, drop)
    }
    const fetched = await pending
    return cached.map((hit, i) => hit ?? fetched[g0 + i - m0]!)
  }

  async #fetchRecords(
    row: FileBlock,
    root: ContentHash,
    m0: number,
    m1: number,
  ): Promise<Uint8Array[]> {
    const size = row.dataSize
    const recordSize = chunkRecordSize(size)
    const want = (m1 - m0 + 1) * recordSize
    // After the block in its own object, or (objects of earlier versions) in `{key}.chunks`.
    const trailer = hasIndexTrailer(row.blockStoreKey)
    const bytes = await this.#get(
      row,
      trailer ? row.blockStoreKey : formatChunkIndexKey(row.blockStoreKey),
      (trailer ? size : 0) + m0 * recordSize,
      want,
    )
    this.#stats.indexFetches++
    this.#stats.indexBytes += bytes.length
    if (bytes.length !== want) {
      throw integrity(row, `chunk index range of ${want} bytes came back with ${bytes.length}`)
    }
    const out: Uint8Array[] = []
    for (let g = m0; g <= m1; g++) {
      const at = (g - m0) * recordSize
      const leaves = verifyChunkRecord(bytes.subarray(at, at + recordSize), g, size, row.hash, root)
      if (leaves === undefined) {
        throw integrity(row, `chunk index record ${g} does not match the row's chunk root`)
      }
      out.push(leaves)
    }
    const prefix = `${root.toString()}/`
    for (let g = m0; g <= m1; g++) this.#remember(prefix + g, out[g - m0]!)
    return out
  }

  #remember(key: string, leaves: Uint8Array): void {
    this.#groups.set(key, leaves)
    while (this.#groups.size > this.#capacity) {
      this.#groups.delete(this.#groups.keys().next().value!)
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function integrity(row: FileBlock, what: string): BlockStoreError {
  return new BlockStoreError('BS_INTEGRITY_CHECK_FAILED', `block ${row.id}: ${what}`, {
    op: 'download',
    key: row.blockStoreKey,
  })
}
