/**
 * MemoryMetadataStore: the metadata store for tests and single-process ephemeral use. Rows
 * live in maps with a payload index and a hash index; nothing survives close.
 */
import type { AbortOptions } from '../../core/abort.js'
import { BlockState, cloneFileBlock, type FileBlock, isRemote } from '../../core/block.js'
import { BlockStoreError } from '../../core/errors.js'
import type { ContentHash } from '../../core/hash.js'
import type {
  BlockCounts,
  DeleteFileBlockOptions,
  GcLock,
  ListPayloadsOptions,
  MetadataStore,
  MetadataStoreCapabilities,
  PayloadPage,
  PayloadRecord,
  RenamePayloadOptions,
} from '../../core/metadata-store.js'
import { assertPayloadId } from '../../core/payload-id.js'
import { assertRename, matchesExpected, movedRow } from '../rename.js'
import {
  assertBlockId,
  assertFileBlock,
  assertOpen,
  assertPayloadRecord,
  assertVersion,
  compareUtf8,
  fileBlockNotFound,
  payloadQuery,
  toPayloadPage,
} from '../validate.js'

const BACKEND = 'memory'
/** Keys handed out per page by {@link MemoryMetadataStore.referencedRemoteKeys}. */
const KEY_PAGE = 1000

function byLastAccess(a: FileBlock, b: FileBlock): number {
  return a.lastAccess - b.lastAccess || compareUtf8(a.id, b.id)
}

function take<T>(items: T[], limit: number): T[] {
  return limit > 0 ? items.slice(0, limit) : items
}

/**
 * In-memory {@link MetadataStore}. Every row handed in or out is copied, so callers never
 * share state with the store.
 */
export class MemoryMetadataStore implements MetadataStore {
  readonly backend = BACKEND
  readonly capabilities: MetadataStoreCapabilities = { persistent: false, shared: false }
  readonly #rows = new Map<string, FileBlock>()
  /** payload ID -> block index -> block ID. */
  readonly #byPayload = new Map<string, Map<number, string>>()
  /** hash hex -> IDs of rows whose CURRENT hash is that (entries removed when a hash changes). */
  readonly #byHash = new Map<string, Set<string>>()
  readonly #payloads = new Map<string, PayloadRecord>()
  /** remote key -> number of rows carrying it (the "is it referenced?" index of GC). */
  readonly #keyRefs = new Map<string, number>()
  /** Remote keys fenced for deletion by the garbage collection lock holder. */
  readonly #fences = new Set<string>()
  #gcLocked = false
  #closed = false
  /**
   * The highest version of any row removed so far. A row created at an ID starts above it, so
   * a version is never stored twice for one ID: a compare-and-set prepared against a deleted
   * row (an upload that claimed it, say) can never succeed on the row re-created in its place.
   */
  #removedVersions = 0

  /** Opens an empty store. */
  static async open(): Promise<MemoryMetadataStore> {
    return new MemoryMetadataStore()
  }

  /** @throws {BlockStoreError} BS_FILE_BLOCK_NOT_FOUND when absent. */
  async getFileBlock(id: string, options?: AbortOptions): Promise<FileBlock> {
    this.#enter(options)
    assertBlockId(id)
    return cloneFileBlock(this.#require(id))
  }

  async findFileBlock(id: string, options?: AbortOptions): Promise<FileBlock | undefined> {
    this.#enter(options)
    assertBlockId(id)
    const row = this.#rows.get(id)
    return row === undefined ? undefined : cloneFileBlock(row)
  }

  /** Upserts every column; stores and returns a new version. */
  async putFileBlock(block: FileBlock, options?: AbortOptions): Promise<FileBlock> {
    this.#enter(options)
    assertFileBlock(block)
    this.#assertNotFenced(block)
    return this.#store(block, this.#rows.get(block.id)?.version ?? this.#removedVersions)
  }

  /** Stores `block` only when the row's version is `expectedVersion` (0: absent). */
  async compareAndPutFileBlock(
    block: FileBlock,
    expectedVersion: number,
    options?: AbortOptions,
  ): Promise<FileBlock | undefined> {
    this.#enter(options)
    assertFileBlock(block)
    assertVersion(expectedVersion, block.id)
    this.#assertNotFenced(block)
    const current = this.#rows.get(block.id)?.version
    if ((current ?? 0) !== expectedVersion) return undefined
    return this.#store(block, current ?? this.#removedVersions)
  }

  /** @throws {BlockStoreError} BS_FILE_BLOCK_NOT_FOUND when absent. */
  async deleteFileBlock(id: string, options?: DeleteFileBlockOptions): Promise<boolean> {
    this.#enter(options)
    assertBlockId(id)
    if (options?.ifVersion !== undefined) assertVersion(options.ifVersion, id)
    const row = this.#require(id)
    if (options?.ifVersion !== undefined && row.version !== options.ifVersion) return false
    this.#remove(row)
    return true
  }

  /** @throws {BlockStoreError} BS_FILE_BLOCK_NOT_FOUND when absent. */
  async incrementRefCount(id: string, options?: AbortOptions): Promise<number> {
    this.#enter(options)
    assertBlockId(id)
    const row = this.#require(id)
    row.refCount++
    row.version++
    return row.refCount
  }

  /**
   * Removes one reference; a count already at 0 stays 0 and the row is left unchanged.
   * @throws {BlockStoreError} BS_FILE_BLOCK_NOT_FOUND when absent.
   */
  async decrementRefCount(id: string, options?: AbortOptions): Promise<number> {
    this.#enter(options)
    assertBlockId(id)
    const row = this.#require(id)
    if (row.refCount > 0) {
      row.refCount--
      row.version++
    }
    return row.refCount
  }

  /** A Remote row whose current hash is `hash`; never one for the zero hash. */
  async findFileBlockByHash(
    hash: ContentHash,
    options?: AbortOptions,
  ): Promise<FileBlock | undefined> {
    this.#enter(options)
    if (hash.isZero()) return undefined
    const ids = this.#byHash.get(hash.toString())
    if (ids === undefined) return undefined
    for (const id of [...ids].sort(compareUtf8)) {
      const row = this.#rows.get(id)
      if (row !== undefined && isRemote(row) && row.hash.equals(hash)) return cloneFileBlock(row)
    }
    return undefined
  }

  /** Local rows with a local path, idle longer than `olderThanMs`, oldest access first. */
  async listLocalBlocks(
    olderThanMs: number,
    limit: number,
    options?: AbortOptions,
  ): Promise<FileBlock[]> {
    this.#enter(options)
    const cutoff = Date.now() - olderThanMs
    return this.#select(
      (r) =>
        r.state === BlockState.Local &&
        r.localPath !== '' &&
        (olderThanMs <= 0 || r.lastAccess < cutoff),
      byLastAccess,
      limit,
    )
  }

  /** Remote rows with a local copy, oldest access first. */
  async listRemoteBlocks(limit: number, options?: AbortOptions): Promise<FileBlock[]> {
    this.#enter(options)
    return this.#select(
      (r) => r.state === BlockState.Remote && r.localPath !== '',
      byLastAccess,
      limit,
    )
  }

  /** Rows with reference count 0, in block ID byte order. */
  async listUnreferenced(limit: number, options?: AbortOptions): Promise<FileBlock[]> {
    this.#enter(options)
    return this.#select(
      (r) => r.refCount === 0,
      (a, b) => compareUtf8(a.id, b.id),
      limit,
    )
  }

  /** All rows of a payload by numeric block index. */
  async listFileBlocks(payloadId: string, options?: AbortOptions): Promise<FileBlock[]> {
    this.#enter(options)
    assertPayloadId(payloadId)
    const blocks = this.#byPayload.get(payloadId)
    if (blocks === undefined) return []
    return [...blocks.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([, id]) => cloneFileBlock(this.#rows.get(id)!))
  }

  /** One pass over the rows. */
  async countBlocks(options?: AbortOptions): Promise<BlockCounts> {
    this.#enter(options)
    const c = { dirty: 0, local: 0, remote: 0, remoteCached: 0 }
    let oldest: number | undefined
    for (const row of this.#rows.values()) {
      if (row.state === BlockState.Remote) {
        c.remote++
        if (row.localPath !== '') c.remoteCached++
        continue
      }
      if (row.state === BlockState.Dirty) c.dirty++
      else c.local++
      oldest = Math.min(oldest ?? row.lastAccess, row.lastAccess)
    }
    return { ...c, oldestUnsyncedAccess: oldest, payloads: this.#payloads.size }
  }

  /** Every non-empty remote key, in pages of a snapshot taken page by page. */
  async *referencedRemoteKeys(options?: AbortOptions): AsyncGenerator<string> {
    this.#enter(options)
    let page: string[] = []
    for (const row of this.#rows.values()) {
      if (row.blockStoreKey !== '') page.push(row.blockStoreKey)
      if (page.length < KEY_PAGE) continue
      yield* page
      page = []
      this.#enter(options)
    }
    yield* page
  }

  /** The in-process garbage collection lock of this store instance. */
  async tryAcquireGcLock(options?: AbortOptions): Promise<GcLock | undefined> {
    this.#enter(options)
    if (this.#gcLocked) return undefined
    this.#gcLocked = true
    let held = true
    const check = (o?: AbortOptions): void => {
      this.#enter(o)
      if (!held)
        throw new BlockStoreError('BS_UNAVAILABLE', 'gc lock released', { backend: BACKEND })
    }
    return {
      fenceUnreferenced: async (key, o) => {
        check(o)
        // Synchronous check-and-fence: atomic against every put (single thread).
        if (this.#keyRefs.has(key)) return false
        this.#fences.add(key)
        return true
      },
      unfence: async (key, o) => {
        check(o)
        this.#fences.delete(key)
      },
      fencedKeys: async (o) => {
        check(o)
        return [...this.#fences]
      },
      release: async () => {
        if (!held) return
        held = false
        this.#gcLocked = false
      },
    }
  }

  /** A payload's record, or `undefined`. */
  async getPayload(id: string, options?: AbortOptions): Promise<PayloadRecord | undefined> {
    this.#enter(options)
    assertPayloadId(id)
    const record = this.#payloads.get(id)
    return record === undefined ? undefined : { ...record }
  }

  /** Upserts a payload's record. */
  async putPayload(record: PayloadRecord, options?: AbortOptions): Promise<void> {
    this.#enter(options)
    assertPayloadRecord(record)
    const { id, size, createdAt, modifiedAt } = record
    this.#payloads.set(id, { id, size, createdAt, modifiedAt })
  }

  /** Deletes a payload's record; `false` when there was none. */
  async deletePayload(id: string, options?: AbortOptions): Promise<boolean> {
    this.#enter(options)
    assertPayloadId(id)
    return this.#payloads.delete(id)
  }

  /** Pages through payload records in UTF-8 byte order of their IDs. */
  async listPayloads(options?: ListPayloadsOptions): Promise<PayloadPage> {
    this.#enter(options)
    const q = payloadQuery(options)
    const ids = [...this.#payloads.keys()]
      .filter((id) => compareUtf8(id, q.after) > 0 && compareUtf8(id, q.prefix) >= 0)
      .sort(compareUtf8)
      .slice(0, q.limit + 1)
    return toPayloadPage(
      ids.map((id) => ({ ...this.#payloads.get(id)! })),
      q,
    )
  }

  /** Moves `src` onto `dst` in one synchronous step (atomic on a single thread). */
  async renamePayload(src: string, dst: string, options: RenamePayloadOptions): Promise<boolean> {
    this.#enter(options)
    assertRename(src, dst, options)
    const record = this.#payloads.get(src)
    const rows = [...(this.#byPayload.get(src)?.values() ?? [])].map((id) => this.#rows.get(id)!)
    if (record === undefined || !matchesExpected(rows, options.expectedVersions)) return false
    for (const id of this.#byPayload.get(dst)?.values() ?? []) this.#remove(this.#rows.get(id)!)
    for (const row of rows) this.#remove(row)
    for (const row of rows) {
      // Above every removed version: the source's and the replaced rows' among them.
      const moved = movedRow(row, dst, this.#removedVersions + 1, options)
      this.#rows.set(moved.id, moved)
      this.#index(moved)
    }
    this.#payloads.delete(src)
    this.#payloads.set(dst, { ...record, id: dst })
    return true
  }

  /** Drops every row. Idempotent; later calls fail with BS_STORE_CLOSED. */
  async close(): Promise<void> {
    this.#closed = true
    this.#rows.clear()
    this.#byPayload.clear()
    this.#byHash.clear()
    this.#payloads.clear()
    this.#fences.clear()
    this.#keyRefs.clear()
  }

  /** Same as {@link close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  #enter(options?: AbortOptions): void {
    assertOpen(this.#closed, BACKEND, options)
  }

  #assertNotFenced(block: FileBlock): void {
    if (block.blockStoreKey !== '' && this.#fences.has(block.blockStoreKey)) {
      throw new BlockStoreError('BS_BUSY', `remote key ${block.blockStoreKey} is being deleted`, {
        backend: BACKEND,
        key: block.blockStoreKey,
      })
    }
  }

  #require(id: string): FileBlock {
    const row = this.#rows.get(id)
    if (row === undefined) throw fileBlockNotFound(id, BACKEND)
    return row
  }

  #remove(row: FileBlock): void {
    this.#unindex(row)
    this.#rows.delete(row.id)
    this.#removedVersions = Math.max(this.#removedVersions, row.version)
  }

  #store(block: FileBlock, currentVersion: number): FileBlock {
    const previous = this.#rows.get(block.id)
    if (previous !== undefined) this.#unindex(previous)
    const row = { ...cloneFileBlock(block), version: currentVersion + 1 }
    this.#rows.set(row.id, row)
    this.#index(row)
    return cloneFileBlock(row)
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

  #select(
    match: (row: FileBlock) => boolean,
    order: (a: FileBlock, b: FileBlock) => number,
    limit: number,
  ): FileBlock[] {
    const rows: FileBlock[] = []
    for (const row of this.#rows.values()) if (match(row)) rows.push(row)
    return take(rows.sort(order), limit).map(cloneFileBlock)
  }
}
