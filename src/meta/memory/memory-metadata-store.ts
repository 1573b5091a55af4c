/**
 * MemoryMetadataStore: the metadata store for tests and single-process ephemeral use. Rows
 * live in maps with a payload index and a hash index (memory-rows.ts), the garbage collection
 * lock and its fences in memory-gc-lock.ts; nothing survives close.
 */
import type { AbortOptions } from '../../core/abort.js'
import { BlockState, cloneFileBlock, type FileBlock } from '../../core/block.js'
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
import { MemoryGcLock } from './memory-gc-lock.js'
import { MemoryRows } from './memory-rows.js'

const BACKEND = 'memory'
/** Keys handed out per page by {@link MemoryMetadataStore.referencedRemoteKeys}. */
const KEY_PAGE = 1000

function byLastAccess(a: FileBlock, b: FileBlock): number {
  return a.lastAccess - b.lastAccess || compareUtf8(a.id, b.id)
}

/**
 * In-memory {@link MetadataStore}. Every row handed in or out is copied, so callers never
 * share state with the store.
 */
export class MemoryMetadataStore implements MetadataStore {
  readonly backend = BACKEND
  readonly capabilities: MetadataStoreCapabilities = { persistent: false, shared: false }
  /** Block rows and their indexes; every removal raises its version floor. */
  readonly #rows = new MemoryRows()
  readonly #payloads = new Map<string, PayloadRecord>()
  readonly #gc = new MemoryGcLock()
  #closed = false

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
    this.#gc.assertNotFenced(block.blockStoreKey)
    return this.#rows.store(block)
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
    this.#gc.assertNotFenced(block.blockStoreKey)
    if ((this.#rows.get(block.id)?.version ?? 0) !== expectedVersion) return undefined
    return this.#rows.store(block)
  }

  /** @throws {BlockStoreError} BS_FILE_BLOCK_NOT_FOUND when absent. */
  async deleteFileBlock(id: string, options?: DeleteFileBlockOptions): Promise<boolean> {
    this.#enter(options)
    assertBlockId(id)
    if (options?.ifVersion !== undefined) assertVersion(options.ifVersion, id)
    const row = this.#require(id)
    if (options?.ifVersion !== undefined && row.version !== options.ifVersion) return false
    this.#rows.remove(row)
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
    const row = this.#rows.findRemoteByHash(hash)
    return row === undefined ? undefined : cloneFileBlock(row)
  }

  /** Local rows with a local path, idle longer than `olderThanMs`, oldest access first. */
  async listLocalBlocks(
    olderThanMs: number,
    limit: number,
    options?: AbortOptions,
  ): Promise<FileBlock[]> {
    this.#enter(options)
    const cutoff = Date.now() - olderThanMs
    return this.#rows.select(
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
    return this.#rows.select(
      (r) => r.state === BlockState.Remote && r.localPath !== '',
      byLastAccess,
      limit,
    )
  }

  /** Rows whose local path starts with `prefix`, in block ID byte order. */
  async listBlocksByLocalPath(
    prefix: string,
    limit: number,
    options?: AbortOptions,
  ): Promise<FileBlock[]> {
    this.#enter(options)
    return this.#rows.select(
      (r) => r.localPath.startsWith(prefix),
      (a, b) => compareUtf8(a.id, b.id),
      limit,
    )
  }

  /** Rows with reference count 0, in block ID byte order. */
  async listUnreferenced(limit: number, options?: AbortOptions): Promise<FileBlock[]> {
    this.#enter(options)
    return this.#rows.select(
      (r) => r.refCount === 0,
      (a, b) => compareUtf8(a.id, b.id),
      limit,
    )
  }

  /** All rows of a payload by numeric block index. */
  async listFileBlocks(payloadId: string, options?: AbortOptions): Promise<FileBlock[]> {
    this.#enter(options)
    assertPayloadId(payloadId)
    return this.#rows
      .entriesOf(payloadId)
      .sort((a, b) => a[0] - b[0])
      .map(([, row]) => cloneFileBlock(row))
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

  /** The in-process garbage collection lock of this store instance (see memory-gc-lock.ts). */
  async tryAcquireGcLock(options?: AbortOptions): Promise<GcLock | undefined> {
    this.#enter(options)
    return this.#gc.tryAcquire(
      (o) => this.#enter(o),
      (key) => this.#rows.isReferenced(key),
    )
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
    const rows = this.#rows.entriesOf(src).map(([, row]) => row)
    if (record === undefined || !matchesExpected(rows, options.expectedVersions)) return false
    for (const [, row] of this.#rows.entriesOf(dst)) this.#rows.remove(row)
    for (const row of rows) this.#rows.remove(row)
    for (const row of rows) {
      // Above every removed version: the source's and the replaced rows' among them.
      this.#rows.insert(movedRow(row, dst, this.#rows.removedVersions + 1, options))
    }
    this.#payloads.delete(src)
    this.#payloads.set(dst, { ...record, id: dst })
    return true
  }

  /** Drops every row. Idempotent; later calls fail with BS_STORE_CLOSED. */
  async close(): Promise<void> {
    this.#closed = true
    this.#rows.clear()
    this.#payloads.clear()
    this.#gc.clear()
  }

  /** Same as {@link close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  #enter(options?: AbortOptions): void {
    assertOpen(this.#closed, BACKEND, options)
  }

  #require(id: string): FileBlock {
    const row = this.#rows.get(id)
    if (row === undefined) throw fileBlockNotFound(id, BACKEND)
    return row
  }
}
