/**
 * The SQLite store's open database and the way every one of its calls runs: the open and
 * abort checks, the WAL's health, the mapping of SQLite errors and, for a mutation, the wait
 * for its commit to be durable. Apart from the store so that file says what each call does
 * and this one what every call shares (the garbage collection lock runs through it too).
 */
import type { Database } from 'better-sqlite3'
import type { AbortOptions } from '../../core/abort.js'
import { BlockStoreError } from '../../core/errors.js'
import type { CommitOptions } from '../../core/metadata-store.js'
import { assertOpen } from '../validate.js'
import { sqliteError } from './sqlite-error.js'
import { openDatabase } from './sqlite-open.js'
import type { SqliteStatements } from './statements.js'
import type { CheckpointStats, WalCheckpointer } from './wal-checkpointer.js'
import type { WalSync } from './wal-sync.js'

const BACKEND = 'sqlite'

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

/** One open database of the SQLite store, with its statements, WAL syncer and checkpointer. */
export class SqliteConnection {
  /** The database file, or an in-memory form (which the garbage collection lock tells apart). */
  readonly path: string
  /** The writer's handle; transactions spanning several statements are opened on it. */
  readonly db: Database
  /** The statements prepared on {@link db}. */
  readonly sql: SqliteStatements
  /** Makes commits durable; `undefined` when they need no fsync (in-memory, `"normal"`). */
  readonly #wal: WalSync | undefined
  readonly #checkpointer: WalCheckpointer | undefined
  #closed = false

  private constructor(
    path: string,
    db: Database,
    sql: SqliteStatements,
    wal: WalSync | undefined,
    checkpointer: WalCheckpointer | undefined,
  ) {
    this.path = path
    this.db = db
    this.sql = sql
    this.#wal = wal
    this.#checkpointer = checkpointer
  }

  /**
   * Opens (creating and migrating when needed) the database at `options.path`.
   * @throws {BlockStoreError} BS_INVALID_CONFIG for a bad option, BS_UNSUPPORTED_FORMAT for a
   * newer or foreign file, BS_UNAVAILABLE when it cannot be opened.
   */
  static async open(options: SqliteMetadataStoreOptions): Promise<SqliteConnection> {
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
    return new SqliteConnection(options.path, db, sql, wal, checkpointer)
  }

  /** WAL fdatasyncs run so far (commits waiting together share one); 0 without a WAL. */
  get walSyncs(): number {
    return this.#wal?.syncs ?? 0
  }

  /** The background checkpoints so far; `undefined` when the writer checkpoints itself. */
  get checkpoints(): CheckpointStats | undefined {
    return this.#checkpointer?.stats
  }

  /**
   * Runs a call's synchronous body `fn` after the open, abort and WAL health checks, mapping
   * what it throws to a BlockStoreError of operation `op`.
   */
  run<T>(op: string, options: AbortOptions | undefined, fn: () => T): T {
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
  async write<T>(op: string, options: CommitOptions | undefined, fn: () => T): Promise<T> {
    const out = this.run(op, options, fn)
    this.#checkpointer?.committed()
    if (options?.deferSync === true) this.#wal?.deferred()
    else await this.#wal?.committed()
    return out
  }

  /** Makes every returned commit durable: one WAL fdatasync unless one already covers them. */
  async sync(): Promise<void> {
    this.run('sync', undefined, () => undefined)
    await this.#wal?.durable()
  }

  /** Closes the database. Idempotent; later calls fail with BS_STORE_CLOSED. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    try {
      await this.#wal?.close()
      // Before the writer's own close, which checkpoints what is left as the last connection.
      await this.#checkpointer?.close()
    } finally {
      this.db.close()
    }
  }
}
