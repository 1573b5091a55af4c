/**
 * Group commit for the SQLite store: commits run with `synchronous = NORMAL` (no fsync inside
 * the synchronous better-sqlite3 call, which blocked the event loop for ~2 ms per commit),
 * and each mutating call returns only once an fdatasync of the WAL file, run on libuv's
 * thread pool, has covered its commit. The WAL is append-only and one fsync makes every frame
 * written before it durable, so commits that land while a sync is in flight share the next
 * one. A returned call is then exactly as durable as under `synchronous = FULL`.
 */
import { type FileHandle, open } from 'node:fs/promises'
import { dirname } from 'node:path'
import { BlockStoreError } from '../../core/errors.js'
import { fsyncPath } from '../../platform/fsync.js'

/** Makes the commits of one database connection durable by syncing its WAL file. */
export class WalSync {
  readonly #walPath: string
  #handle: Promise<FileHandle> | undefined
  /** Commits made so far, and how many of them are known durable. */
  #committed = 0
  #synced = 0
  #inFlight: Promise<void> | undefined
  #failure: BlockStoreError | undefined
  #syncs = 0

  /** `walPath`: the `-wal` file of a database in WAL mode (opened at the first sync). */
  constructor(walPath: string) {
    this.#walPath = walPath
  }

  /**
   * Call right after a commit returned: resolves once that commit is durable.
   * @throws {BlockStoreError} BS_UNAVAILABLE when the WAL could not be synced (then forever:
   * after a failed fsync the page cache no longer says what is on disk).
   */
  committed(): Promise<void> {
    return this.#until(++this.#committed)
  }

  /**
   * Call right after a commit whose caller keeps its own durable record of it: counted, so the
   * next sync covers it, but not waited for.
   * @throws {BlockStoreError} BS_UNAVAILABLE after a failed sync (the commit may never be durable).
   */
  deferred(): void {
    this.#committed++
    this.assertHealthy()
  }

  /** Resolves once every commit made so far, deferred ones included, is durable. */
  durable(): Promise<void> {
    return this.#until(this.#committed)
  }

  async #until(seq: number): Promise<void> {
    while (this.#synced < seq) {
      if (this.#failure !== undefined) throw this.#failure
      // A sync already running may have started before this commit: wait, then check again.
      this.#inFlight ??= this.#sync()
      await this.#inFlight
    }
  }

  /** Syncs started so far (commits waiting together share one). */
  get syncs(): number {
    return this.#syncs
  }

  /** Throws the failure of an earlier sync, if any. */
  assertHealthy(): void {
    if (this.#failure !== undefined) throw this.#failure
  }

  async #sync(): Promise<void> {
    this.#syncs++
    try {
      // Commits made in the rest of this turn of the event loop (a flush commits its rows and
      // its payload record together) join this sync instead of waiting for the next one.
      await new Promise<void>((resolve) => setImmediate(resolve))
      const target = this.#committed
      this.#handle ??= this.#open()
      await (await this.#handle).datasync()
      this.#synced = Math.max(this.#synced, target)
    } catch (err) {
      this.#failure ??= new BlockStoreError(
        'BS_UNAVAILABLE',
        `sqlite: syncing ${this.#walPath} failed; reopen the store`,
        { cause: err, op: 'commit', backend: 'sqlite' },
      )
    } finally {
      this.#inFlight = undefined
    }
  }

  /**
   * Opens the WAL and makes its name durable: SQLite fsyncs the directory of a new WAL only
   * at its own first sync of it, which under NORMAL waits for the first checkpoint, and a
   * power loss before that could lose the file and every commit in it.
   */
  async #open(): Promise<FileHandle> {
    const fh = await open(this.#walPath, 'r')
    try {
      await fsyncPath(dirname(this.#walPath))
    } catch (err) {
      await fh.close()
      throw err
    }
    return fh
  }

  /** Waits for the sync in flight (callers still waiting get their answer), then closes. */
  async close(): Promise<void> {
    while (this.#inFlight !== undefined) await this.#inFlight
    const handle = this.#handle
    this.#handle = undefined
    // A handle that never opened has nothing to close (its failure was reported).
    if (handle !== undefined) await (await handle.catch(() => undefined))?.close()
  }
}
