/**
 * SqliteMetadataStore: block and payload records in a local SQLite file. What each call does
 * is here; how every call runs (checks, error mapping, durable commits) is sqlite-connection.ts.
 */
import type { AbortOptions } from '../../core/abort.js'
import type { FileBlock } from '../../core/block.js'
import type { ContentHash } from '../../core/hash.js'
import type {
  BlockCounts,
  CommitOptions,
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
import { assertRename } from '../rename.js'
import { type BlockRow, fromBlockRow, fromPayloadRow, type PayloadRow } from '../row-codec.js'
import {
  assertBlockId,
  assertFileBlock,
  assertPayloadRecord,
  assertVersion,
  fileBlockNotFound,
  payloadQuery,
  toPayloadPage,
} from '../validate.js'
import { SqliteConnection, type SqliteMetadataStoreOptions } from './sqlite-connection.js'
import { countSqliteBlocks } from './sqlite-count-blocks.js'
import { tryAcquireSqliteGcLock, withUnfencedKey } from './sqlite-gc-lock.js'
import { renameSqlitePayload } from './sqlite-rename.js'
import { blockParams, sqlLimit } from './statements.js'
import type { CheckpointStats } from './wal-checkpointer.js'

export type { SqliteMetadataStoreOptions } from './sqlite-connection.js'

const BACKEND = 'sqlite'
const KEY_PAGE = 1000

/** {@link MetadataStore} in a local SQLite file; persistent, shared by processes on one host. */
export class SqliteMetadataStore implements MetadataStore {
  readonly backend = BACKEND
  readonly capabilities: MetadataStoreCapabilities = { persistent: true, shared: true }
  /** The database and how each call runs on it. */
  readonly #c: SqliteConnection

  private constructor(connection: SqliteConnection) {
    this.#c = connection
  }

  /**
   * Opens (creating and migrating when needed) the database at `options.path`.
   * @throws {BlockStoreError} BS_UNSUPPORTED_FORMAT for a newer or foreign file, BS_UNAVAILABLE when it cannot be opened.
   */
  static async open(options: SqliteMetadataStoreOptions): Promise<SqliteMetadataStore> {
    return new SqliteMetadataStore(await SqliteConnection.open(options))
  }

  /** @throws {BlockStoreError} BS_FILE_BLOCK_NOT_FOUND when absent. */
  async getFileBlock(id: string, options?: AbortOptions): Promise<FileBlock> {
    return this.#c.run('getFileBlock', options, () => {
      assertBlockId(id)
      return this.#require(id)
    })
  }

  async findFileBlock(id: string, options?: AbortOptions): Promise<FileBlock | undefined> {
    return this.#c.run('findFileBlock', options, () => {
      assertBlockId(id)
      return this.#row(this.#c.sql.get.get(id))
    })
  }

  /** Upserts every column; stores and returns a new version. */
  async putFileBlock(block: FileBlock, options?: AbortOptions): Promise<FileBlock> {
    return this.#c.write('putFileBlock', options, () => {
      assertFileBlock(block)
      return this.#unfenced(block, () => this.#row(this.#c.sql.upsert.get(blockParams(block)))!)
    })
  }

  /** Stores `block` only when the row's version is `expectedVersion` (0: absent). */
  async compareAndPutFileBlock(
    block: FileBlock,
    expectedVersion: number,
    options?: CommitOptions,
  ): Promise<FileBlock | undefined> {
    return this.#c.write('compareAndPutFileBlock', options, () => {
      assertFileBlock(block)
      assertVersion(expectedVersion, block.id)
      const params = { ...blockParams(block), expected: expectedVersion }
      const stmt = expectedVersion === 0 ? this.#c.sql.insertNew : this.#c.sql.updateIfVersion
      return this.#unfenced(block, () => this.#row(stmt.get(params)))
    })
  }

  /** @throws {BlockStoreError} BS_FILE_BLOCK_NOT_FOUND when absent. */
  async deleteFileBlock(id: string, options?: DeleteFileBlockOptions): Promise<boolean> {
    return this.#c.write('deleteFileBlock', options, () => {
      assertBlockId(id)
      const ifVersion = options?.ifVersion
      if (ifVersion !== undefined) assertVersion(ifVersion, id)
      return this.#c.db
        .transaction(() => {
          const current = this.#c.sql.version.get(id) as { version: number } | undefined
          if (current === undefined) throw fileBlockNotFound(id, BACKEND)
          if (ifVersion !== undefined && current.version !== ifVersion) return false
          this.#c.sql.delete.run(id)
          return true
        })
        .immediate()
    })
  }

  /** @throws {BlockStoreError} BS_FILE_BLOCK_NOT_FOUND when absent. */
  async incrementRefCount(id: string, options?: AbortOptions): Promise<number> {
    return this.#c.write('incrementRefCount', options, () => {
      assertBlockId(id)
      const row = this.#c.sql.increment.get(id) as { ref_count: number } | undefined
      if (row === undefined) throw fileBlockNotFound(id, BACKEND)
      return row.ref_count
    })
  }

  /**
   * Removes one reference; a count already at 0 stays 0 and the row is left unchanged.
   * @throws {BlockStoreError} BS_FILE_BLOCK_NOT_FOUND when absent.
   */
  async decrementRefCount(id: string, options?: AbortOptions): Promise<number> {
    return this.#c.write('decrementRefCount', options, () => {
      assertBlockId(id)
      return this.#c.db
        .transaction(() => {
          const row = this.#c.sql.decrement.get(id) as { ref_count: number } | undefined
          if (row !== undefined) return row.ref_count
          const current = this.#c.sql.refCount.get(id) as { ref_count: number } | undefined
          if (current === undefined) throw fileBlockNotFound(id, BACKEND)
          return current.ref_count
        })
        .immediate()
    })
  }

  /** A Remote row whose current hash is `hash`; never one for the zero hash. */
  async findFileBlockByHash(
    hash: ContentHash,
    options?: AbortOptions,
  ): Promise<FileBlock | undefined> {
    return this.#c.run('findFileBlockByHash', options, () =>
      hash.isZero() ? undefined : this.#row(this.#c.sql.byHash.get(hash.toString())),
    )
  }

  /** Local rows with a local path, idle longer than `olderThanMs`, oldest access first. */
  async listLocalBlocks(
    olderThanMs: number,
    limit: number,
    options?: AbortOptions,
  ): Promise<FileBlock[]> {
    return this.#c.run('listLocalBlocks', options, () => {
      const stmt = olderThanMs > 0 ? this.#c.sql.localOlder : this.#c.sql.local
      const params = { cutoff: Date.now() - olderThanMs, limit: sqlLimit(limit) }
      return this.#rows(olderThanMs > 0 ? stmt.all(params) : stmt.all({ limit: params.limit }))
    })
  }

  /** Remote rows with a local copy, oldest access first. */
  async listRemoteBlocks(limit: number, options?: AbortOptions): Promise<FileBlock[]> {
    return this.#c.run('listRemoteBlocks', options, () =>
      this.#rows(this.#c.sql.remote.all({ limit: sqlLimit(limit) })),
    )
  }

  /** Rows whose local path starts with `prefix`, in block ID byte order (a table scan). */
  async listBlocksByLocalPath(
    prefix: string,
    limit: number,
    options?: AbortOptions,
  ): Promise<FileBlock[]> {
    return this.#c.run('listBlocksByLocalPath', options, () =>
      this.#rows(this.#c.sql.byPathPrefix.all({ prefix, limit: sqlLimit(limit) })),
    )
  }

  /** Rows with reference count 0, in block ID byte order. */
  async listUnreferenced(limit: number, options?: AbortOptions): Promise<FileBlock[]> {
    return this.#c.run('listUnreferenced', options, () =>
      this.#rows(this.#c.sql.unreferenced.all({ limit: sqlLimit(limit) })),
    )
  }

  /** All rows of a payload by numeric block index (index scan on payload ID). */
  async listFileBlocks(payloadId: string, options?: AbortOptions): Promise<FileBlock[]> {
    return this.#c.run('listFileBlocks', options, () => {
      assertPayloadId(payloadId)
      return this.#rows(this.#c.sql.byPayload.all(payloadId))
    })
  }

  /** In slices, yielding to the event loop between them (see sqlite-count-blocks.ts). */
  async countBlocks(options?: AbortOptions): Promise<BlockCounts> {
    return countSqliteBlocks(this.#c.sql, (fn) => this.#c.run('countBlocks', options, fn))
  }

  /** Every non-empty remote key, read in pages of 1000 rows by ID. */
  async *referencedRemoteKeys(options?: AbortOptions): AsyncGenerator<string> {
    let after = ''
    for (;;) {
      const page = this.#c.run('referencedRemoteKeys', options, () =>
        this.#c.sql.keys.all(after, KEY_PAGE),
      ) as Array<{ id: string; block_store_key: string }>
      for (const row of page) yield row.block_store_key
      if (page.length < KEY_PAGE) return
      after = page[page.length - 1]!.id
    }
  }

  /** Exclusive lock on `<path>.gc-lock` (per handle for an in-memory database). */
  async tryAcquireGcLock(options?: AbortOptions): Promise<GcLock | undefined> {
    return this.#c.run('tryAcquireGcLock', options, () => tryAcquireSqliteGcLock(this.#c))
  }

  /** A payload's record, or `undefined`. */
  async getPayload(id: string, options?: AbortOptions): Promise<PayloadRecord | undefined> {
    return this.#c.run('getPayload', options, () => {
      assertPayloadId(id)
      const row = this.#c.sql.getPayload.get(id) as PayloadRow | undefined
      return row === undefined ? undefined : fromPayloadRow(row, BACKEND)
    })
  }

  /** Upserts a payload's record. */
  async putPayload(record: PayloadRecord, options?: CommitOptions): Promise<void> {
    await this.#c.write('putPayload', options, () => {
      assertPayloadRecord(record)
      const { id, size, createdAt, modifiedAt } = record
      this.#c.sql.putPayload.run({ id, size, createdAt, modifiedAt })
    })
  }

  /** Deletes a payload's record; `false` when there was none. */
  async deletePayload(id: string, options?: AbortOptions): Promise<boolean> {
    return this.#c.write('deletePayload', options, () => {
      assertPayloadId(id)
      return this.#c.sql.deletePayload.run(id).changes > 0
    })
  }

  /** Pages through payload records in UTF-8 byte order (SQLite's BINARY collation). */
  async listPayloads(options?: ListPayloadsOptions): Promise<PayloadPage> {
    return this.#c.run('listPayloads', options, () => {
      const q = payloadQuery(options)
      const rows = this.#c.sql.listPayloads.all({
        after: q.after,
        prefix: q.prefix,
        limit: q.limit + 1,
      }) as PayloadRow[]
      return toPayloadPage(
        rows.map((r) => fromPayloadRow(r, BACKEND)),
        q,
      )
    })
  }

  /** One IMMEDIATE transaction (see sqlite-rename.ts). */
  async renamePayload(src: string, dst: string, options: RenamePayloadOptions): Promise<boolean> {
    return this.#c.write('renamePayload', options, () => {
      assertRename(src, dst, options)
      return renameSqlitePayload(this.#c.db, this.#c.sql, src, dst, options)
    })
  }

  /** WAL fdatasyncs run so far (commits waiting together share one); 0 without a WAL. */
  get walSyncs(): number {
    return this.#c.walSyncs
  }

  /**
   * Commits made so far (`batches`) and the mutations they held (`writes`): mutations issued
   * in the same turn of the event loop share one transaction.
   */
  get commitBatches(): { readonly batches: number; readonly writes: number } {
    return { ...this.#c.batchStats }
  }

  /** The background checkpoints so far; `undefined` when the writer checkpoints itself. */
  get checkpoints(): CheckpointStats | undefined {
    return this.#c.checkpoints
  }

  /** Makes every returned commit durable: one WAL fdatasync unless one already covers them. */
  async sync(): Promise<void> {
    await this.#c.sync()
  }

  /** Closes the database. Idempotent; later calls fail with BS_STORE_CLOSED. */
  async close(): Promise<void> {
    await this.#c.close()
  }

  /** Same as {@link close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** Runs a put; when the row carries a remote key, atomically with a check of its fence. */
  #unfenced<T>(block: FileBlock, put: () => T): T {
    return withUnfencedKey(this.#c.db, this.#c.sql, block.blockStoreKey, put)
  }

  #require(id: string): FileBlock {
    const row = this.#row(this.#c.sql.get.get(id))
    if (row === undefined) throw fileBlockNotFound(id, BACKEND)
    return row
  }

  #row(row: unknown): FileBlock | undefined {
    return row === undefined ? undefined : fromBlockRow(row as BlockRow, BACKEND)
  }

  #rows(rows: unknown[]): FileBlock[] {
    return (rows as BlockRow[]).map((r) => fromBlockRow(r, BACKEND))
  }
}
