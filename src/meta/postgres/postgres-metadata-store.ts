/**
 * PostgresMetadataStore: block and payload records in one PostgreSQL schema through a `pg`
 * pool, shareable by several nodes (every mutation is one atomic statement). What each call
 * does is here; how every call runs on the pool is postgres-queries.ts.
 */
import type { AbortOptions } from '../../core/abort.js'
import type { FileBlock } from '../../core/block.js'
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
import { assertRename } from '../rename.js'
import {
  type BlockRow,
  blockCounts,
  fromBlockRow,
  fromPayloadRow,
  type IntColumn,
  type PayloadRow,
  type StateCount,
  toSafeInt,
} from '../row-codec.js'
import {
  assertBlockId,
  assertFileBlock,
  assertPayloadRecord,
  assertVersion,
  fileBlockNotFound,
  payloadQuery,
  toPayloadPage,
} from '../validate.js'
import { postgresError } from './postgres-error.js'
import { tryAcquirePostgresGcLock } from './postgres-gc-lock.js'
import type { PostgresMetadataStoreOptions } from './postgres-pool.js'
import { PostgresQueries } from './postgres-queries.js'
import { renamePostgresPayload } from './postgres-rename.js'
import { blockParams, sqlLimit } from './statements.js'

export type { PostgresMetadataStoreOptions } from './postgres-pool.js'

const BACKEND = 'postgres'
const KEY_PAGE = 1000

/** {@link MetadataStore} in a PostgreSQL schema; persistent and shared by several nodes. */
export class PostgresMetadataStore implements MetadataStore {
  readonly backend = BACKEND
  readonly capabilities: MetadataStoreCapabilities = { persistent: true, shared: true }
  /** The pool and how each call runs on it. */
  readonly #q: PostgresQueries

  private constructor(queries: PostgresQueries) {
    this.#q = queries
  }

  /**
   * Connects, creates the schema when missing and applies migrations under an advisory lock.
   * @throws {BlockStoreError} BS_INVALID_CONFIG, BS_UNSUPPORTED_FORMAT, BS_UNAVAILABLE, BS_ACCESS_DENIED.
   */
  static async open(options: PostgresMetadataStoreOptions): Promise<PostgresMetadataStore> {
    return new PostgresMetadataStore(await PostgresQueries.open(options))
  }

  /** @throws {BlockStoreError} BS_FILE_BLOCK_NOT_FOUND when absent. */
  async getFileBlock(id: string, options?: AbortOptions): Promise<FileBlock> {
    this.#q.enter(options)
    assertBlockId(id)
    const row = await this.#q.one<BlockRow>('getFileBlock', this.#q.sql.get, [id])
    if (row === undefined) throw fileBlockNotFound(id, BACKEND)
    return fromBlockRow(row, BACKEND)
  }

  async findFileBlock(id: string, options?: AbortOptions): Promise<FileBlock | undefined> {
    this.#q.enter(options)
    assertBlockId(id)
    const row = await this.#q.one<BlockRow>('findFileBlock', this.#q.sql.get, [id])
    return row === undefined ? undefined : fromBlockRow(row, BACKEND)
  }

  /** Upserts every column; stores and returns a new version. */
  async putFileBlock(block: FileBlock, options?: AbortOptions): Promise<FileBlock> {
    this.#q.enter(options)
    assertFileBlock(block)
    const row = await this.#q.put('putFileBlock', block, this.#q.sql.upsert, blockParams(block))
    return fromBlockRow(row!, BACKEND)
  }

  /** Stores `block` only when the row's version is `expectedVersion` (0: absent). */
  async compareAndPutFileBlock(
    block: FileBlock,
    expectedVersion: number,
    options?: AbortOptions,
  ): Promise<FileBlock | undefined> {
    this.#q.enter(options)
    assertFileBlock(block)
    assertVersion(expectedVersion, block.id)
    const op = 'compareAndPutFileBlock'
    const params = blockParams(block)
    let row: BlockRow | undefined
    if (expectedVersion === 0) {
      row = await this.#q.put(op, block, this.#q.sql.insertNew, params)
    } else {
      const update = [...params, expectedVersion]
      // A row that keeps its key adds no reference: no fence check is needed.
      if (block.blockStoreKey !== '') {
        row = await this.#q.one<BlockRow>(op, this.#q.sql.updateIfVersionSameKey, update)
      }
      row ??= await this.#q.put(op, block, this.#q.sql.updateIfVersion, update)
    }
    return row === undefined ? undefined : fromBlockRow(row, BACKEND)
  }

  /** @throws {BlockStoreError} BS_FILE_BLOCK_NOT_FOUND when absent. */
  async deleteFileBlock(id: string, options?: DeleteFileBlockOptions): Promise<boolean> {
    this.#q.enter(options)
    assertBlockId(id)
    if (options?.ifVersion !== undefined) assertVersion(options.ifVersion, id)
    const row = await this.#q.one<{ deleted: boolean; existed: boolean }>(
      'deleteFileBlock',
      this.#q.sql.delete,
      [id, options?.ifVersion ?? null],
    )
    if (row?.existed !== true) throw fileBlockNotFound(id, BACKEND)
    return row.deleted
  }

  /** @throws {BlockStoreError} BS_FILE_BLOCK_NOT_FOUND when absent. */
  async incrementRefCount(id: string, options?: AbortOptions): Promise<number> {
    this.#q.enter(options)
    assertBlockId(id)
    const row = await this.#q.one<{ ref_count: IntColumn }>(
      'incrementRefCount',
      this.#q.sql.increment,
      [id],
    )
    if (row === undefined) throw fileBlockNotFound(id, BACKEND)
    return toSafeInt(row.ref_count, 'ref_count', BACKEND)
  }

  /**
   * Removes one reference; a count already at 0 stays 0 and the row is left unchanged.
   * @throws {BlockStoreError} BS_FILE_BLOCK_NOT_FOUND when absent.
   */
  async decrementRefCount(id: string, options?: AbortOptions): Promise<number> {
    this.#q.enter(options)
    assertBlockId(id)
    const row = await this.#q.one<{ updated: IntColumn | null; current: IntColumn | null }>(
      'decrementRefCount',
      this.#q.sql.decrement,
      [id],
    )
    const count = row?.updated ?? row?.current
    if (count === null || count === undefined) throw fileBlockNotFound(id, BACKEND)
    return toSafeInt(count, 'ref_count', BACKEND)
  }

  /** A Remote row whose current hash is `hash`; never one for the zero hash. */
  async findFileBlockByHash(
    hash: ContentHash,
    options?: AbortOptions,
  ): Promise<FileBlock | undefined> {
    this.#q.enter(options)
    if (hash.isZero()) return undefined
    const row = await this.#q.one<BlockRow>('findFileBlockByHash', this.#q.sql.byHash, [
      hash.toString(),
    ])
    return row === undefined ? undefined : fromBlockRow(row, BACKEND)
  }

  /** Local rows with a local path, idle longer than `olderThanMs`, oldest access first. */
  async listLocalBlocks(
    olderThanMs: number,
    limit: number,
    options?: AbortOptions,
  ): Promise<FileBlock[]> {
    this.#q.enter(options)
    return olderThanMs > 0
      ? this.#q.blocks('listLocalBlocks', this.#q.sql.localOlder, [
          sqlLimit(limit),
          Date.now() - olderThanMs,
        ])
      : this.#q.blocks('listLocalBlocks', this.#q.sql.local, [sqlLimit(limit)])
  }

  /** Remote rows with a local copy, oldest access first. */
  async listRemoteBlocks(limit: number, options?: AbortOptions): Promise<FileBlock[]> {
    this.#q.enter(options)
    return this.#q.blocks('listRemoteBlocks', this.#q.sql.remote, [sqlLimit(limit)])
  }

  /** Rows whose local path starts with `prefix`, in block ID byte order (a table scan). */
  async listBlocksByLocalPath(
    prefix: string,
    limit: number,
    options?: AbortOptions,
  ): Promise<FileBlock[]> {
    this.#q.enter(options)
    return this.#q.blocks('listBlocksByLocalPath', this.#q.sql.byPathPrefix, [
      prefix,
      sqlLimit(limit),
    ])
  }

  /** Rows with reference count 0, in block ID byte order. */
  async listUnreferenced(limit: number, options?: AbortOptions): Promise<FileBlock[]> {
    this.#q.enter(options)
    return this.#q.blocks('listUnreferenced', this.#q.sql.unreferenced, [sqlLimit(limit)])
  }

  /** All rows of a payload by numeric block index (index scan on payload ID). */
  async listFileBlocks(payloadId: string, options?: AbortOptions): Promise<FileBlock[]> {
    this.#q.enter(options)
    assertPayloadId(payloadId)
    return this.#q.blocks('listFileBlocks', this.#q.sql.byPayload, [payloadId])
  }

  /** One aggregate query per table (a scan on the server, nothing decoded per row). */
  async countBlocks(options?: AbortOptions): Promise<BlockCounts> {
    this.#q.enter(options)
    const [states, payloads] = await Promise.all([
      this.#q.all<StateCount>('countBlocks', this.#q.sql.countBlocks, []),
      this.#q.one<{ n: string | number }>('countBlocks', this.#q.sql.countPayloads, []),
    ])
    return blockCounts(states, Number(payloads?.n ?? 0))
  }

  /** Every non-empty remote key, read in pages of 1000 rows by ID. */
  async *referencedRemoteKeys(options?: AbortOptions): AsyncGenerator<string> {
    let after = ''
    for (;;) {
      this.#q.enter(options)
      const page = await this.#q.all<{ id: string; block_store_key: string }>(
        'referencedRemoteKeys',
        this.#q.sql.keys,
        [after, KEY_PAGE],
      )
      for (const row of page) yield row.block_store_key
      if (page.length < KEY_PAGE) return
      after = page[page.length - 1]!.id
    }
  }

  /** Session advisory lock on the schema, held by a dedicated pooled connection. */
  async tryAcquireGcLock(options?: AbortOptions): Promise<GcLock | undefined> {
    this.#q.enter(options)
    try {
      return await tryAcquirePostgresGcLock(this.#q.pool, this.#q.schema, this.#q.sql)
    } catch (err) {
      throw postgresError(err, 'tryAcquireGcLock')
    }
  }

  /** A payload's record, or `undefined`. */
  async getPayload(id: string, options?: AbortOptions): Promise<PayloadRecord | undefined> {
    this.#q.enter(options)
    assertPayloadId(id)
    const row = await this.#q.one<PayloadRow>('getPayload', this.#q.sql.getPayload, [id])
    return row === undefined ? undefined : fromPayloadRow(row, BACKEND)
  }

  /** Upserts a payload's record. */
  async putPayload(record: PayloadRecord, options?: AbortOptions): Promise<void> {
    this.#q.enter(options)
    assertPayloadRecord(record)
    const { id, size, createdAt, modifiedAt } = record
    await this.#q.all('putPayload', this.#q.sql.putPayload, [id, size, createdAt, modifiedAt])
  }

  /** Deletes a payload's record; `false` when there was none. */
  async deletePayload(id: string, options?: AbortOptions): Promise<boolean> {
    this.#q.enter(options)
    assertPayloadId(id)
    const result = await this.#q.query('deletePayload', this.#q.sql.deletePayload, [id])
    return (result.rowCount ?? 0) > 0
  }

  /** Pages through payload records in UTF-8 byte order (COLLATE "C"). */
  async listPayloads(options?: ListPayloadsOptions): Promise<PayloadPage> {
    this.#q.enter(options)
    const q = payloadQuery(options)
    const rows = await this.#q.all<PayloadRow>('listPayloads', this.#q.sql.listPayloads, [
      q.after,
      q.prefix,
      q.limit + 1,
    ])
    return toPayloadPage(
      rows.map((r) => fromPayloadRow(r, BACKEND)),
      q,
    )
  }

  /** One transaction under advisory locks on both payloads (see postgres-rename.ts). */
  async renamePayload(src: string, dst: string, options: RenamePayloadOptions): Promise<boolean> {
    this.#q.enter(options)
    assertRename(src, dst, options)
    const { pool, schema, sql } = this.#q
    return renamePostgresPayload(pool, schema, sql, src, dst, options)
  }

  /** Ends an owned pool (waiting for running queries). Idempotent; later calls fail with BS_STORE_CLOSED. */
  async close(): Promise<void> {
    await this.#q.close()
  }

  /** Same as {@link close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
