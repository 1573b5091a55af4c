/**
 * PostgresMetadataStore: block and payload records in one PostgreSQL schema through a `pg`
 * pool, shareable by several nodes (every mutation is one atomic statement).
 */
import type pg from 'pg'
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
  chunkRootColumn,
  fromBlockRow,
  fromPayloadRow,
  hashColumn,
  type IntColumn,
  type PayloadRow,
  type StateCount,
  toSafeInt,
} from '../row-codec.js'
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
import { postgresError } from './postgres-error.js'
import { tryAcquirePostgresGcLock, withUnfencedKey } from './postgres-gc-lock.js'
import { openPostgresPool, type PostgresMetadataStoreOptions } from './postgres-pool.js'
import { renamePostgresPayload } from './postgres-rename.js'
import { quoteSchema } from './schema.js'
import { buildPostgresStatements, type PostgresStatements } from './statements.js'

export type { PostgresMetadataStoreOptions } from './postgres-pool.js'

const BACKEND = 'postgres'
const KEY_PAGE = 1000

function sqlLimit(limit: number): number | null {
  return limit > 0 ? limit : null
}

/** {@link MetadataStore} in a PostgreSQL schema; persistent and shared by several nodes. */
export class PostgresMetadataStore implements MetadataStore {
  readonly backend = BACKEND
  readonly capabilities: MetadataStoreCapabilities = { persistent: true, shared: true }
  readonly #pool: pg.Pool
  readonly #ownsPool: boolean
  readonly #sql: PostgresStatements
  readonly #schema: string
  #closed = false

  private constructor(pool: pg.Pool, ownsPool: boolean, sql: PostgresStatements, schema: string) {
    this.#pool = pool
    this.#ownsPool = ownsPool
    this.#sql = sql
    this.#schema = schema
  }

  /**
   * Connects, creates the schema when missing and applies migrations under an advisory lock.
   * @throws {BlockStoreError} BS_INVALID_CONFIG, BS_UNSUPPORTED_FORMAT, BS_UNAVAILABLE, BS_ACCESS_DENIED.
   */
  static async open(options: PostgresMetadataStoreOptions): Promise<PostgresMetadataStore> {
    const schema = options.schema ?? 'ditto_blockstore'
    // Checked before connecting: a bad name is a configuration error, not a connection one.
    const quoted = quoteSchema(schema)
    const { pool, owns } = await openPostgresPool(options, schema)
    return new PostgresMetadataStore(pool, owns, buildPostgresStatements(quoted), schema)
  }

  /** @throws {BlockStoreError} BS_FILE_BLOCK_NOT_FOUND when absent. */
  async getFileBlock(id: string, options?: AbortOptions): Promise<FileBlock> {
    this.#enter(options)
    assertBlockId(id)
    const row = await this.#one<BlockRow>('getFileBlock', this.#sql.get, [id])
    if (row === undefined) throw fileBlockNotFound(id, BACKEND)
    return fromBlockRow(row, BACKEND)
  }

  async findFileBlock(id: string, options?: AbortOptions): Promise<FileBlock | undefined> {
    this.#enter(options)
    assertBlockId(id)
    const row = await this.#one<BlockRow>('findFileBlock', this.#sql.get, [id])
    return row === undefined ? undefined : fromBlockRow(row, BACKEND)
  }

  /** Upserts every column; stores and returns a new version. */
  async putFileBlock(block: FileBlock, options?: AbortOptions): Promise<FileBlock> {
    this.#enter(options)
    assertFileBlock(block)
    const row = await this.#put('putFileBlock', block, this.#sql.upsert, this.#params(block))
    return fromBlockRow(row!, BACKEND)
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
    const op = 'compareAndPutFileBlock'
    const params = this.#params(block)
    let row: BlockRow | undefined
    if (expectedVersion === 0) {
      row = await this.#put(op, block, this.#sql.insertNew, params)
    } else {
      const update = [...params, expectedVersion]
      // A row that keeps its key adds no reference: no fence check is needed.
      if (block.blockStoreKey !== '') {
        row = await this.#one<BlockRow>(op, this.#sql.updateIfVersionSameKey, update)
      }
      row ??= await this.#put(op, block, this.#sql.updateIfVersion, update)
    }
    return row === undefined ? undefined : fromBlockRow(row, BACKEND)
  }

  /** @throws {BlockStoreError} BS_FILE_BLOCK_NOT_FOUND when absent. */
  async deleteFileBlock(id: string, options?: DeleteFileBlockOptions): Promise<boolean> {
    this.#enter(options)
    assertBlockId(id)
    if (options?.ifVersion !== undefined) assertVersion(options.ifVersion, id)
    const row = await this.#one<{ deleted: boolean; existed: boolean }>(
      'deleteFileBlock',
      this.#sql.delete,
      [id, options?.ifVersion ?? null],
    )
    if (row?.existed !== true) throw fileBlockNotFound(id, BACKEND)
    return row.deleted
  }

  /** @throws {BlockStoreError} BS_FILE_BLOCK_NOT_FOUND when absent. */
  async incrementRefCount(id: string, options?: AbortOptions): Promise<number> {
    this.#enter(options)
    assertBlockId(id)
    const row = await this.#one<{ ref_count: IntColumn }>(
      'incrementRefCount',
      this.#sql.increment,
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
    this.#enter(options)
    assertBlockId(id)
    const row = await this.#one<{ updated: IntColumn | null; current: IntColumn | null }>(
      'decrementRefCount',
      this.#sql.decrement,
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
    this.#enter(options)
    if (hash.isZero()) return undefined
    const row = await this.#one<BlockRow>('findFileBlockByHash', this.#sql.byHash, [
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
    this.#enter(options)
    return olderThanMs > 0
      ? this.#blocks('listLocalBlocks', this.#sql.localOlder, [
          sqlLimit(limit),
          Date.now() - olderThanMs,
        ])
      : this.#blocks('listLocalBlocks', this.#sql.local, [sqlLimit(limit)])
  }

  /** Remote rows with a local copy, oldest access first. */
  async listRemoteBlocks(limit: number, options?: AbortOptions): Promise<FileBlock[]> {
    this.#enter(options)
    return this.#blocks('listRemoteBlocks', this.#sql.remote, [sqlLimit(limit)])
  }

  /** Rows with reference count 0, in block ID byte order. */
  async listUnreferenced(limit: number, options?: AbortOptions): Promise<FileBlock[]> {
    this.#enter(options)
    return this.#blocks('listUnreferenced', this.#sql.unreferenced, [sqlLimit(limit)])
  }

  /** All rows of a payload by numeric block index (index scan on payload ID). */
  async listFileBlocks(payloadId: string, options?: AbortOptions): Promise<FileBlock[]> {
    this.#enter(options)
    assertPayloadId(payloadId)
    return this.#blocks('listFileBlocks', this.#sql.byPayload, [payloadId])
  }

  /** One aggregate query per table (a scan on the server, nothing decoded per row). */
  async countBlocks(options?: AbortOptions): Promise<BlockCounts> {
    this.#enter(options)
    const [states, payloads] = await Promise.all([
      this.#all<StateCount>('countBlocks', this.#sql.countBlocks, []),
      this.#one<{ n: string | number }>('countBlocks', this.#sql.countPayloads, []),
    ])
    return blockCounts(states, Number(payloads?.n ?? 0))
  }

  /** Every non-empty remote key, read in pages of 1000 rows by ID. */
  async *referencedRemoteKeys(options?: AbortOptions): AsyncGenerator<string> {
    let after = ''
    for (;;) {
      this.#enter(options)
      const page = await this.#all<{ id: string; block_store_key: string }>(
        'referencedRemoteKeys',
        this.#sql.keys,
        [after, KEY_PAGE],
      )
      for (const row of page) yield row.block_store_key
      if (page.length < KEY_PAGE) return
      after = page[page.length - 1]!.id
    }
  }

  /** Session advisory lock on the schema, held by a dedicated pooled connection. */
  async tryAcquireGcLock(options?: AbortOptions): Promise<GcLock | undefined> {
    this.#enter(options)
    try {
      return await tryAcquirePostgresGcLock(this.#pool, this.#schema, this.#sql)
    } catch (err) {
      throw postgresError(err, 'tryAcquireGcLock')
    }
  }

  /** A put; when the row carries a remote key, inside the key's shared lock after a fence check. */
  async #put(
    op: string,
    block: FileBlock,
    sql: string,
    params: unknown[],
  ): Promise<BlockRow | undefined> {
    if (block.blockStoreKey === '') return this.#one<BlockRow>(op, sql, params)
    try {
      return await withUnfencedKey(
        this.#pool,
        this.#schema,
        this.#sql,
        block.blockStoreKey,
        async (c) => (await c.query<BlockRow>(sql, params)).rows[0],
      )
    } catch (err) {
      throw postgresError(err, op)
    }
  }

  /** A payload's record, or `undefined`. */
  async getPayload(id: string, options?: AbortOptions): Promise<PayloadRecord | undefined> {
    this.#enter(options)
    assertPayloadId(id)
    const row = await this.#one<PayloadRow>('getPayload', this.#sql.getPayload, [id])
    return row === undefined ? undefined : fromPayloadRow(row, BACKEND)
  }

  /** Upserts a payload's record. */
  async putPayload(record: PayloadRecord, options?: AbortOptions): Promise<void> {
    this.#enter(options)
    assertPayloadRecord(record)
    const { id, size, createdAt, modifiedAt } = record
    await this.#all('putPayload', this.#sql.putPayload, [id, size, createdAt, modifiedAt])
  }

  /** Deletes a payload's record; `false` when there was none. */
  async deletePayload(id: string, options?: AbortOptions): Promise<boolean> {
    this.#enter(options)
    assertPayloadId(id)
    const result = await this.#query('deletePayload', this.#sql.deletePayload, [id])
    return (result.rowCount ?? 0) > 0
  }

  /** Pages through payload records in UTF-8 byte order (COLLATE "C"). */
  async listPayloads(options?: ListPayloadsOptions): Promise<PayloadPage> {
    this.#enter(options)
    const q = payloadQuery(options)
    const rows = await this.#all<PayloadRow>('listPayloads', this.#sql.listPayloads, [
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
    this.#enter(options)
    assertRename(src, dst, options)
    return renamePostgresPayload(this.#pool, this.#schema, this.#sql, src, dst, options)
  }

  /** Ends an owned pool (waiting for running queries). Idempotent; later calls fail with BS_STORE_CLOSED. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#ownsPool) await this.#pool.end()
  }

  /** Same as {@link close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  #enter(options?: AbortOptions): void {
    assertOpen(this.#closed, BACKEND, options)
  }

  async #query(op: string, sql: string, params: unknown[]): Promise<pg.QueryResult> {
    try {
      return await this.#pool.query(sql, params)
    } catch (err) {
      throw postgresError(err, op)
    }
  }

  async #all<T>(op: string, sql: string, params: unknown[]): Promise<T[]> {
    return (await this.#query(op, sql, params)).rows as T[]
  }

  async #one<T>(op: string, sql: string, params: unknown[]): Promise<T | undefined> {
    return (await this.#all<T>(op, sql, params))[0]
  }

  async #blocks(op: string, sql: string, params: unknown[]): Promise<FileBlock[]> {
    return (await this.#all<BlockRow>(op, sql, params)).map((r) => fromBlockRow(r, BACKEND))
  }

  #params(block: FileBlock): unknown[] {
    const { payloadId, blockIdx } = assertBlockId(block.id)
    return [
      block.id,
      payloadId,
      blockIdx,
      hashColumn(block),
      block.dataSize,
      block.localPath,
      block.blockStoreKey,
      block.refCount,
      block.lastAccess,
      block.createdAt,
      block.state,
      chunkRootColumn(block),
    ]
  }
}
