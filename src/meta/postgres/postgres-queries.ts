/**
 * The PostgreSQL store's pool and the way every one of its calls runs on it: the open and
 * abort checks, the mapping of server errors and, for a row carrying a remote key, the fence
 * check under the key's shared lock (postgres-gc-lock.ts). Apart from the store so that file
 * says what each call does and this one what every call shares.
 */
import type pg from 'pg'
import type { AbortOptions } from '../../core/abort.js'
import type { FileBlock } from '../../core/block.js'
import { type BlockRow, fromBlockRow } from '../row-codec.js'
import { assertOpen } from '../validate.js'
import { postgresError } from './postgres-error.js'
import { withUnfencedKey } from './postgres-gc-lock.js'
import { openPostgresPool, type PostgresMetadataStoreOptions } from './postgres-pool.js'
import { quoteSchema } from './schema.js'
import { buildPostgresStatements, type PostgresStatements } from './statements.js'

const BACKEND = 'postgres'

/** The pool of one PostgreSQL store, its schema's statements, and how each query runs. */
export class PostgresQueries {
  /** The pool; the garbage collection lock and renames take dedicated connections from it. */
  readonly pool: pg.Pool
  /** The statements of {@link schema}. */
  readonly sql: PostgresStatements
  /** The schema's name, unquoted: advisory lock names are derived from it. */
  readonly schema: string
  /** Whether the store built the pool, and so must end it. */
  readonly #ownsPool: boolean
  #closed = false

  private constructor(pool: pg.Pool, ownsPool: boolean, sql: PostgresStatements, schema: string) {
    this.pool = pool
    this.#ownsPool = ownsPool
    this.sql = sql
    this.schema = schema
  }

  /**
   * Connects, creates the schema when missing and applies migrations under an advisory lock.
   * @throws {BlockStoreError} BS_INVALID_CONFIG, BS_UNSUPPORTED_FORMAT, BS_UNAVAILABLE,
   * BS_ACCESS_DENIED.
   */
  static async open(options: PostgresMetadataStoreOptions): Promise<PostgresQueries> {
    const schema = options.schema ?? 'ditto_blockstore'
    // Checked before connecting: a bad name is a configuration error, not a connection one.
    const quoted = quoteSchema(schema)
    const { pool, owns } = await openPostgresPool(options, schema)
    return new PostgresQueries(pool, owns, buildPostgresStatements(quoted), schema)
  }

  /**
   * The entry check of every call, before the pool is touched: a call of a closed store fails,
   * then an aborted one (with the signal's reason).
   * @throws {BlockStoreError} BS_STORE_CLOSED after {@link close}.
   */
  enter(options?: AbortOptions): void {
    assertOpen(this.#closed, BACKEND, options)
  }

  /** Runs one statement on a pooled connection; its errors become BlockStoreErrors of `op`. */
  async query(op: string, sql: string, params: unknown[]): Promise<pg.QueryResult> {
    try {
      return await this.pool.query(sql, params)
    } catch (err) {
      throw postgresError(err, op)
    }
  }

  /** The rows of one statement. */
  async all<T>(op: string, sql: string, params: unknown[]): Promise<T[]> {
    return (await this.query(op, sql, params)).rows as T[]
  }

  /** The first row of one statement, or `undefined`. */
  async one<T>(op: string, sql: string, params: unknown[]): Promise<T | undefined> {
    return (await this.all<T>(op, sql, params))[0]
  }

  /** The block rows of one statement, decoded. */
  async blocks(op: string, sql: string, params: unknown[]): Promise<FileBlock[]> {
    return (await this.all<BlockRow>(op, sql, params)).map((r) => fromBlockRow(r, BACKEND))
  }

  /** A put; when the row carries a remote key, inside the key's shared lock after a fence check. */
  async put(
    op: string,
    block: FileBlock,
    sql: string,
    params: unknown[],
  ): Promise<BlockRow | undefined> {
    if (block.blockStoreKey === '') return this.one<BlockRow>(op, sql, params)
    try {
      return await withUnfencedKey(
        this.pool,
        this.schema,
        this.sql,
        block.blockStoreKey,
        async (c) => (await c.query<BlockRow>(sql, params)).rows[0],
      )
    } catch (err) {
      throw postgresError(err, op)
    }
  }

  /**
   * Ends an owned pool (waiting for running queries); a given pool is left to its owner.
   * Idempotent; later calls fail with BS_STORE_CLOSED.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#ownsPool) await this.pool.end()
  }
}
