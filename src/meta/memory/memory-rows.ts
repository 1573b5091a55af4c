/**
 * The block rows of the memory store and the indexes derived from them. They live apart from
 * the store so their invariants hold in one small place that every change goes through:
 * `store`, `insert` and `remove` update the payload index, the hash index and the remote key
 * reference counts together with the rows, and `remove` raises the version floor.
 */
import { cloneFileBlock, type FileBlock, isRemote } from '../../core/block.js'
import type { ContentHash } from '../../core/hash.js'
import { assertBlockId, compareUtf8 } from '../validate.js'

function take<T>(items: T[], limit: number): T[] {
  return limit > 0 ? items.slice(0, limit) : items
}

/** The rows of one memory store, indexed by payload, by current hash and by remote key. */
export class MemoryRows {
  readonly #rows = new Map<string, FileBlock>()
  /** payload ID -> block index -> block ID. */
  readonly #byPayload = new Map<string, Map<number, string>>()
  /** hash hex -> IDs of rows whose CURRENT hash is that (entries removed when a hash changes). */
  readonly #byHash = new Map<string, Set<string>>()
  /** remote key -> number of rows carrying it (the "is it referenced?" index of GC). */
  readonly #keyRefs = new Map<string, number>()
  #removedVersions = 0

  /**
   * The highest version of any row removed so far. A row created at an ID starts above it, so
   * a version is never stored twice for one ID: a compare-and-set prepared against a deleted
   * row (an upload that claimed it, say) can never succeed on the row re-created in its place.
   */
  get removedVersions(): number {
    return this.#removedVersions
  }

  /**
   * The stored row itself, not a copy: the store changes its reference count and version in
   * place, which no index covers. Anything else must change through {@link store}.
   */
  get(id: string): FileBlock | undefined {
    return this.#rows.get(id)
  }

  /** Every stored row (not copies), live: rows changed while iterating are seen as they are. */
  values(): IterableIterator<FileBlock> {
    return this.#rows.values()
  }

  /**
   * Block index and stored row of each row of a payload, in the order they were indexed (a
   * snapshot: removing them while iterating is safe).
   */
  entriesOf(payloadId: string): Array<[number, FileBlock]> {
    const blocks = this.#byPayload.get(payloadId)
    if (blocks === undefined) return []
    return [...blocks.entries()].map(([idx, id]) => [idx, this.#rows.get(id)!])
  }

  /** The Remote row whose current hash is `hash`, lowest block ID first. */
  findRemoteByHash(hash: ContentHash): FileBlock | undefined {
    const ids = this.#byHash.get(hash.toString())
    if (ids === undefined) return undefined
    for (const id of [...ids].sort(compareUtf8)) {
      const row = this.#rows.get(id)
      if (row !== undefined && isRemote(row) && row.hash.equals(hash)) return row
    }
    return undefined
  }

  /** True while some row carries the remote key `key`. */
  isReferenced(key: string): boolean {
    return this.#keyRefs.has(key)
  }

  /** Copies of the rows matching `match`, sorted by `order`, at most `limit` (0: all). */
  select(
    match: (row: FileBlock) => boolean,
    order: (a: FileBlock, b: FileBlock) => number,
    limit: number,
  ): FileBlock[] {
    const rows: FileBlock[] = []
    for (const row of this.#rows.values()) if (match(row)) rows.push(row)
    return take(rows.sort(order), limit).map(cloneFileBlock)
  }

  /**
   * Stores a copy of `block`, replacing the row at its ID, and returns another copy. Its
   * version is one above the replaced row's, or above {@link removedVersions} for a new row.
   */
  store(block: FileBlock): FileBlock {
    const previous = this.#rows.get(block.id)
    if (previous !== undefined) this.#unindex(previous)
    const base = previous?.version ?? this.#removedVersions
    const row = { ...cloneFileBlock(block), version: base + 1 }
    this.#rows.set(row.id, row)
    this.#index(row)
    return cloneFileBlock(row)
  }

  /**
   * Adds `row` as it is, its version already chosen above {@link removedVersions} (a renamed
   * row); its ID must hold no row.
   */
  insert(row: FileBlock): void {
    this.#rows.set(row.id, row)
    this.#index(row)
  }

  /** Removes a stored row, raising {@link removedVersions} to its version. */
  remove(row: FileBlock): void {
    this.#unindex(row)
    this.#rows.delete(row.id)
    this.#removedVersions = Math.max(this.#removedVersions, row.version)
  }

  /** Drops every row and index entry (the store is closing). */
  clear(): void {
    this.#rows.clear()
    this.#byPayload.clear()
    this.#byHash.clear()
    this.#keyRefs.clear()
  }

  #index(row: FileBlock): void {
    const { payloadId, blockIdx } = assertBlockId(row.id)
    const blocks = this.#byPayload.get(payloadId) ?? new Map<number, string>()
    this.#byPayload.set(payloadId, blocks.set(blockIdx, row.id))
    const key = row.blockStoreKey
    if (key !== '') this.#keyRefs.set(key, (this.#keyRefs.get(key) ?? 0) + 1)
    if (row.hash.isZero()) return
    const hex = row.hash.toString()
    this.#byHash.set(hex, (this.#byHash.get(hex) ?? new Set<string>()).add(row.id))
  }

  #unindex(row: FileBlock): void {
    const { payloadId, blockIdx } = assertBlockId(row.id)
    const blocks = this.#byPayload.get(payloadId)
    blocks?.delete(blockIdx)
    if (blocks?.size === 0) this.#byPayload.delete(payloadId)
    const refs = this.#keyRefs.get(row.blockStoreKey)
    if (refs !== undefined) {
      if (refs > 1) this.#keyRefs.set(row.blockStoreKey, refs - 1)
      else this.#keyRefs.delete(row.blockStoreKey)
    }
    if (row.hash.isZero()) return
    const hex = row.hash.toString()
    const ids = this.#byHash.get(hex)
    ids?.delete(row.id)
    if (ids?.size === 0) this.#byHash.delete(hex)
  }
}
