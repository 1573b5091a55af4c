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

/** A mutation waiting for the batch that commits it. */
interface QueuedWrite {
  readonly op: string
  readonly options: CommitOptions | undefined
  readonly fn: () => unknown
  readonly resolve: (committed: Committed) => void
  readonly reject: (err: unknown) => void
}

/** A committed mutation's result, and the WAL sync that makes it durable (none if deferred). */
interface Committed {
  readonly value: unknown
  readonly durable: Promise<void> | undefined
}

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
  /** Mutations issued and not yet run, in issue order (see {@link write}). */
  #queue: QueuedWrite[] = []
  #scheduled = false
  /** True while queued mutations run (a call made by one of them must not start another). */
  #running = false
  /** Runs a function in a savepoint of the batch's transaction (rolled back if it throws). */
  readonly #savepoint: (fn: () => unknown) => unknown
  /** Batches run, and mutations they committed (the ratio is the batching achieved). */
  readonly batchStats = { batches: 0, writes: 0 }
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
    this.#savepoint = db.transaction((fn: () => unknown) => fn())
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
   * what it throws to a BlockStoreError of operation `op`. Mutations issued before it run
   * first, so every call sees the database in the order the calls were made.
   */
  run<T>(op: string, options: AbortOptions | undefined, fn: () => T): T {
    // Not from inside a running batch: its mutations are what that call runs amid.
    if (this.#queue.length > 0 && !this.#running) this.#runQueued()
    return this.#runNow(op, options, fn)
  }

  #runNow<T>(op: string, options: AbortOptions | undefined, fn: () => T): T {
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
   *
   * Mutations issued in the same turn of the event loop commit as one transaction, each in a
   * savepoint of its own (one that throws is rolled back alone and rejects alone): a SQLite
   * commit costs about a dozen WAL writes and as many file locks on the event loop, so 32
   * payloads flushed at once paid for 32 of them where one does (measured: the row commits of
   * a 2,000-payload `flushAll` were 28 % of its CPU). Nothing is reordered: a mutation runs
   * before any call made after it (see {@link run}), only its commit comes later.
   */
  async write<T>(op: string, options: CommitOptions | undefined, fn: () => T): Promise<T> {
    assertOpen(this.#closed, BACKEND, options)
    const { value, durable } = await new Promise<Committed>((resolve, reject) => {
      this.#queue.push({ op, options, fn, resolve, reject })
      if (!this.#scheduled) {
        this.#scheduled = true
        setImmediate(() => this.#runQueued())
      }
    })
    await durable
    return value as T
  }

  /**
   * Settles a committed mutation, counting its commit for the WAL sync right away (a close
   * that follows still syncs it) and handing over what its caller awaits.
   */
  #settle(w: QueuedWrite, value: unknown): void {
    try {
      let durable: Promise<void> | undefined
      if (w.options?.deferSync === true) this.#wal?.deferred()
      else durable = this.#wal?.committed()
      w.resolve({ value, durable })
    } catch (err) {
      w.reject(err)
    }
  }

  /** Runs every queued mutation: alone, or as one transaction of savepoints. */
  #runQueued(): void {
    this.#scheduled = false
    const batch = this.#queue
    if (batch.length === 0) return
    this.#queue = []
    this.batchStats.batches++
    this.batchStats.writes += batch.length
    this.#running = true
    try {
      if (batch.length === 1) this.#runAlone(batch[0]!)
      else this.#runBatch(batch)
    } finally {
      this.#running = false
    }
    // Counted per mutation, as before batching: the WAL grows with what was written.
    for (let i = 0; i < batch.length; i++) this.#checkpointer?.committed()
  }

  /** Runs one mutation in a transaction of its own (SQLite's implicit one). */
  #runAlone(w: QueuedWrite): void {
    let value: unknown
    try {
      value = this.#runNow(w.op, w.options, w.fn)
    } catch (err) {
      w.reject(err)
      return
    }
    this.#settle(w, value)
  }

  #runBatch(batch: readonly QueuedWrite[]): void {
    /** Mutations run in the open transaction, to be settled by its commit. */
    let pending: { readonly w: QueuedWrite; readonly value: unknown }[] = []
    const fail = (err: unknown): void => {
      for (const p of pending) p.w.reject(err)
      pending = []
    }
    const begin = (): boolean => {
      try {
        this.#runNow('begin', undefined, () => this.db.exec('BEGIN IMMEDIATE'))
        return true
      } catch {
        return false
      }
    }
    let open = begin()
    for (const w of batch) {
      if (!open) {
        // No transaction could be opened: run it alone, as an unbatched call would.
        this.#runAlone(w)
        continue
      }
      try {
        pending.push({ w, value: this.#runNow(w.op, w.options, () => this.#savepoint(w.fn)) })
      } catch (err) {
        w.reject(err)
        // An error SQLite answers by rolling back the whole transaction (a full disk, an I/O
        // error) took the earlier mutations of the batch with it: they fail with it.
        if (!this.db.inTransaction) {
          fail(err)
          open = begin()
        }
      }
    }
    if (!open) return
    try {
      this.#runNow('commit', undefined, () => this.db.exec('COMMIT'))
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK')
      fail(err)
      return
    }
    for (const p of pending) this.#settle(p.w, p.value)
  }

  /** Makes every returned commit durable: one WAL fdatasync unless one already covers them. */
  async sync(): Promise<void> {
    this.run('sync', undefined, () => undefined)
    await this.#wal?.durable()
  }

  /** Closes the database. Idempotent; later calls fail with BS_STORE_CLOSED. */
  async close(): Promise<void> {
    if (this.#closed) return
    // Mutations already issued commit before the database closes.
    this.#runQueued()
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
