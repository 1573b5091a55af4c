import type { Database } from 'better-sqlite3'
import type { AbortOptions } from '../../core/abort.js'
import type { FileBlock } from '../../core/block.js'
import { BlockStoreError } from '../../core/errors.js'
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
  assertOpen,
  assertPayloadRecord,
  assertVersion,
  fileBlockNotFound,
  payloadQuery,
  toPayloadPage,
} from '../validate.js'
import { countSqliteBlocks } from './sqlite-count-blocks.js'
import { sqliteError } from './sqlite-error.js'
import { tryAcquireSqliteGcLock } from './sqlite-gc-lock.js'
import { openDatabase } from './sqlite-open.js'
import { renameSqlitePayload } from './sqlite-rename.js'
import { blockParams, type SqliteStatements, sqlLimit } from './statements.js'
import type { CheckpointStats, WalCheckpointer } from './wal-checkpointer.js'
import type { WalSync } from './wal-sync.js'

const BACKEND = 'sqlite'
const KEY_PAGE = 1000
/** Options of {@link SqliteMetadataStore.open}. */
export interface SqliteMetadataStoreOptions {
  /** Database file (created when missing). */
  readonly path: string
  /** How long a call waits for another process's lock before BS_UNAVAILABLE; default 5000. */
  readonly busyTimeoutMs?: number | undefined
  /**
   * `"full"` (default): every commit is fsynced before its call returns (off the event loop,
   * shared by concurrent commits); a returned call survives a power loss.
   * `"normal"`: a returned call survives a process kill but the last commits may be lost on
   * power loss; much faster for bulk loads and tests.
   */
  readonly durability?: 'full' | 'normal' | undefined
  /**
   * Run the WAL's checkpoints on a worker thread (default true) instead of inside the commit
   * that crosses SQLite's threshold, on the event loop (see wal-checkpointer.ts).
   */
  readonly backgroundCheckpoints?: boolean | undefined
}

/** {@link MetadataStore} in a local SQLite file; persistent, shared by processes on one host. */
export class SqliteMetadataStore implements MetadataStore {
  readonly backend = BACKEND
  readonly capabilities: MetadataStoreCapabilities = { persistent: true, shared: true }
  readonly #db: Database
  readonly #sql: SqliteStatements
  readonly #path: string
  /** Makes commits durable; `undefined` when they need no fsync (in-memory, `"normal"`). */
  readonly #wal: WalSync | undefined
  readonly #checkpointer: WalCheckpointer | undefined
  #closed = false

  private constructor(
    db: Database,
    sql: SqliteStatements,
    path: string,
    wal: WalSync | undefined,
    checkpointer: WalCheckpointer | undefined,
  ) {
    this.#db = db
    this.#sql = sql
    this.#path = path
    this.#wal = wal
    this.#checkpointer = checkpointer
  }

  /**
   * Opens (creating and migrating when needed) the database at `options.path`.
   * @throws {BlockStoreError} BS_UNSUPPORTED_FORMAT for a newer or foreign file, BS_UNAVAILABLE when it cannot be opened.
   */
  static async open(options: SqliteMetadataStoreOptions): Promise<SqliteMetadataStore> {
    const busy = options.busyTimeoutMs ?? 5000
    if (!Number.isSafeInteger(busy) || busy < 0) {
      throw new BlockStoreError('BS_INVALID_CONFIG', `busyTimeoutMs must be >= 0, got ${busy}`)
    }
    const { db, sql, wal, checkpointer } = await openDatabase(
      options.path,
      busy,
      options.durability,
      options.backgroundCheckpoints,
    )
    return new SqliteMetadataStore(db, sql, options.path, wal, checkpointer)
  }

  /** @throws {BlockStoreError} BS_FILE_BLOCK_NOT_FOUND when absent. */
  async getFileBlock(id: string, options?: AbortOptions): Promise<FileBlock> {
    return this.#run('getFileBlock', options, () => {
      assertBlockId(id)
      return this.#require(id)
    })
  }

  async findFileBlock(id: string, options?: AbortOptions): Promise<FileBlock | undefined> {
    return this.#run('findFileBlock', options, () => {
      assertBlockId(id)
      return this.#row(this.#sql.get.get(id))
    })
  }

  /** Upserts every column; stores and returns a new version. */
  async putFileBlock(block: FileBlock, options?: AbortOptions): Promise<FileBlock> {
    return this.#write('putFileBlock', options, () => {
      assertFileBlock(block)
      return this.#unfenced(block, () => this.#row(this.#sql.upsert.get(blockParams(block)))!)
    })
  }

  /** Stores `block` only when the row's version is `expectedVersion` (0: absent). */
  async compareAndPutFileBlock(
    block: FileBlock,
    expectedVersion: number,
    options?: CommitOptions,
  ): Promise<FileBlock | undefined> {
    return this.#write('compareAndPutFileBlock', options, () => {
      assertFileBlock(block)
      assertVersion(expectedVersion, block.id)
      const params = { ...blockParams(block), expected: expectedVersion }
      const stmt = expectedVersion === 0 ? this.#sql.insertNew : this.#sql.updateIfVersion
      return this.#unfenced(block, () => this.#row(stmt.get(params)))
    })
  }

  /** @throws {BlockStoreError} BS_FILE_BLOCK_NOT_FOUND when absent. */
  async deleteFileBlock(id: string, options?: DeleteFileBlockOptions): Promise<boolean> {
    return this.#write('deleteFileBlock', options, () => {
      assertBlockId(id)
      const ifVersion = options?.ifVersion
      if (ifVersion !== undefined) assertVersion(ifVersion, id)
      return this.#db
        .transaction(() => {
          const current = this.#sql.version.get(id) as { version: number } | undefined
          if (current === undefined) throw fileBlockNotFound(id, BACKEND)
          if (ifVersion !== undefined && current.version !== ifVersion) return false
          this.#sql.delete.run(id)
          return true
        })
        .immediate()
    })
  }

  /** @throws {BlockStoreError} BS_FILE_BLOCK_NOT_FOUND when absent. */
  async incrementRefCount(id: string, options?: AbortOptions): Promise<number> {
    return this.#write('incrementRefCount', options, () => {
      assertBlockId(id)
      const row = this.#sql.increment.get(id) as { ref_count: number } | undefined
      if (row === undefined) throw fileBlockNotFound(id, BACKEND)
      return row.ref_count
    })
  }

  /**
   * Removes one reference; a count already at 0 stays 0 and the row is left unchanged.
   * @throws {BlockStoreError} BS_FILE_BLOCK_NOT_FOUND when absent.
   */
  async decrementRefCount(id: string, options?: AbortOptions): Promise<number> {
    return this.#write('decrementRefCount', options, () => {
      assertBlockId(id)
      return this.#db
        .transaction(() => {
          const row = this.#sql.decrement.get(id) as { ref_count: number } | undefined
          if (row !== undefined) return row.ref_count
          const current = this.#sql.refCount.get(id) as { ref_count: number } | undefined
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
    return this.#run('findFileBlockByHash', options, () =>
      hash.isZero() ? undefined : this.#row(this.#sql.byHash.get(hash.toString())),
    )
  }

  /** Local rows with a local path, idle longer than `olderThanMs`, oldest access first. */
  async listLocalBlocks(
    olderThanMs: number,
    limit: number,
    options?: AbortOptions,
  ): Promise<FileBlock[]> {
    return this.#run('listLocalBlocks', options, () => {
      const stmt = olderThanMs > 0 ? this.#sql.localOlder : this.#sql.local
      const params = { cutoff: Date.now() - olderThanMs, limit: sqlLimit(limit) }
      return this.#rows(olderThanMs > 0 ? stmt.all(params) : stmt.all({ limit: params.limit }))
    })
  }

  /** Remote rows with a local copy, oldest access first. */
  async listRemoteBlocks(limit: number, options?: AbortOptions): Promise<FileBlock[]> {
    return this.#run('listRemoteBlocks', options, () =>
      this.#rows(this.#sql.remote.all({ limit: sqlLimit(limit) })),
    )
  }

  /** Rows with reference count 0, in block ID byte order. */
  async listUnreferenced(limit: number, options?: AbortOptions): Promise<FileBlock[]> {
    return this.#run('listUnreferenced', options, () =>
      this.#rows(this.#sql.unreferenced.all({ limit: sqlLimit(limit) })),
    )
  }

  /** All rows of a payload by numeric block index (index scan on payload ID). */
  async listFileBlocks(payloadId: string, options?: AbortOptions): Promise<FileBlock[]> {
    return this.#run('listFileBlocks', options, () => {
      assertPayloadId(payloadId)
      return this.#rows(this.#sql.byPayload.all(payloadId))
    })
  }

  /** In slices, yielding to the event loop between them (see sqlite-count-blocks.ts). */
  async countBlocks(options?: AbortOptions): Promise<BlockCounts> {
    return countSqliteBlocks(this.#sql, (fn) => this.#run('countBlocks', options, fn))
  }

  /** Every non-empty remote key, read in pages of 1000 rows by ID. */
  async *referencedRemoteKeys(options?: AbortOptions): AsyncGenerator<string> {
    let after = ''
    for (;;) {
      const page = this.#run('referencedRemoteKeys', options, () =>
        this.#sql.keys.all(after, KEY_PAGE),
      ) as Array<{ id: string; block_store_key: string }>
      for (const row of page) yield row.block_store_key
      if (page.length < KEY_PAGE) return
      after = page[page.length - 1]!.id
    }
  }

  /** Exclusive lock on `<path>.gc-lock` (per handle for an in-memory database). */
  async tryAcquireGcLock(options?: AbortOptions): Promise<GcLock | undefined> {
    return this.#run('tryAcquireGcLock', options, () =>
      tryAcquireSqliteGcLock({
        path: this.#path,
        db: this.#db,
        sql: this.#sql,
        run: (op, o, fn) => this.#run(op, o, fn),
        write: (op, o, fn) => this.#write(op, o, fn),
      }),
    )
  }

  /** A payload's record, or `undefined`. */
  async getPayload(id: string, options?: AbortOptions): Promise<PayloadRecord | undefined> {
    return this.#run('getPayload', options, () => {
      assertPayloadId(id)
      const row = this.#sql.getPayload.get(id) as PayloadRow | undefined
      return row === undefined ? undefined : fromPayloadRow(row, BACKEND)
    })
  }

  /** Upserts a payload's record. */
  async putPayload(record: PayloadRecord, options?: CommitOptions): Promise<void> {
    await this.#write('putPayload', options, () => {
      assertPayloadRecord(record)
      const { id, size, createdAt, modifiedAt } = record
      this.#sql.putPayload.run({ id, size, createdAt, modifiedAt })
    })
  }

  /** Deletes a payload's record; `false` when there was none. */
  async deletePayload(id: string, options?: AbortOptions): Promise<boolean> {
    return this.#write('deletePayload', options, () => {
      assertPayloadId(id)
      return this.#sql.deletePayload.run(id).changes > 0
    })
  }

  /** Pages through payload records in UTF-8 byte order (SQLite's BINARY collation). */
  async listPayloads(options?: ListPayloadsOptions): Promise<PayloadPage> {
    return this.#run('listPayloads', options, () => {
      const q = payloadQuery(options)
      const rows = this.#sql.listPayloads.all({
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
    return this.#write('renamePayload', options, () => {
      assertRename(src, dst, options)
      return renameSqlitePayload(this.#db, this.#sql, src, dst, options)
    })
  }

  /** Closes the database. Idempotent; later calls fail with BS_STORE_CLOSED. */
  /** WAL fdatasyncs run so far (commits waiting together share one); 0 without a WAL. */
  get walSyncs(): number {
    return this.#wal?.syncs ?? 0
  }

  /** The background checkpoints so far; `undefined` when the writer checkpoints itself. */
  get checkpoints(): CheckpointStats | undefined {
    return this.#checkpointer?.stats
  }

  /** Makes every returned commit durable: one WAL fdatasync unless one already covers them. */
  async sync(): Promise<void> {
    this.#run('sync', undefined, () => undefined)
    await this.#wal?.durable()
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    try {
      await this.#wal?.close()
      // Before the writer's own close, which checkpoints what is left as the last connection.
      await this.#checkpointer?.close()
    } finally {
      this.#db.close()
    }
  }

  /** Same as {@link close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  #run<T>(op: string, options: AbortOptions | undefined, fn: () => T): T {
    assertOpen(this.#closed, BACKEND, options)
    try {
      this.#wal?.assertHealthy()
      return fn()
    } catch (err) {
      throw sqliteError(err, op)
    }
  }

  /**
   * Runs a mutation and returns once its commit is durable. Not cancellable after the commit
   * (an abort then would report a change that happened as failed). Reads do not wait: a row
   * read may reflect a commit still being synced, but every irreversible step (unlinking a
   * block file, deleting a remote object, acknowledging a flush) follows a mutation of the
   * same caller, whose awaited sync covers every earlier commit in the append-only WAL.
   */
  async #write<T>(op: string, options: CommitOptions | undefined, fn: () => T): Promise<T> {
    const out = this.#run(op, options, fn)
    this.#checkpointer?.committed()
    if (options?.deferSync === true) this.#wal?.deferred()
    else await this.#wal?.committed()
    return out
  }

  /** Runs a put; when the row carries a remote key, atomically with a check of its fence. */
  #unfenced<T>(block: FileBlock, put: () => T): T {
    if (block.blockStoreKey === '') return put()
    return this.#db
      .transaction(() => {
        if (this.#sql.fenced.get(block.blockStoreKey) !== undefined) {
          throw new BlockStoreError(
            'BS_BUSY',
            `remote key ${block.blockStoreKey} is being deleted`,
            {
              backend: BACKEND,
              key: block.blockStoreKey,
            },
          )
        }
        return put()
      })
      .immediate()
  }

  #require(id: string): FileBlock {
    const row = this.#row(this.#sql.get.get(id))
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
