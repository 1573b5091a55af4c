/**
 * WAL checkpoints on a worker thread. SQLite's automatic checkpoint runs inside the commit
 * that crosses its threshold (1000 pages), on the thread that commits: with better-sqlite3
 * that is the event loop, which then copies the WAL's pages into the database file and
 * fsyncs both files before the commit call returns. Measured on the HTTP server's 4 KiB
 * PUT+GET mix, those commits were under 1 % of the statements and half of the time spent in
 * SQLite, and the longest event-loop stalls.
 *
 * Here a second connection on a worker thread runs a PASSIVE checkpoint every
 * {@link CHECKPOINT_EVERY_COMMITS} commits (never two at once). A PASSIVE checkpoint never
 * blocks the writer; it copies what the WAL holds when it starts. Its syncs are those SQLite
 * makes for any checkpoint under `synchronous = NORMAL` (the WAL before the copy, the
 * database file after), so a power loss finds every committed page in one of the two files,
 * as with the automatic checkpoint.
 *
 * The writer keeps an automatic checkpoint at {@link BACKSTOP_PAGES} as a backstop: when the
 * worker's checkpoints keep overlapping commits (the WAL restarts from its beginning only
 * after a checkpoint that copied every frame), or the worker fails, the WAL stays bounded;
 * the backstop then finds nearly every frame already copied.
 */
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

/** Commits between two checkpoint requests: about 1000 WAL pages at 4 pages a commit. */
export const CHECKPOINT_EVERY_COMMITS = 256

/** The writer's own automatic checkpoint threshold while a worker checkpoints (16 MiB). */
export const BACKSTOP_PAGES = 4000

// Inline CommonJS, like the hash workers: the same under tsx and from dist/. The driver is
// loaded by its resolved path, so the worker finds it whatever the process's directory.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
let db
try {
  const Database = require(workerData.driver)
  db = new Database(workerData.path, { fileMustExist: true, timeout: 0 })
  // NORMAL: a checkpoint syncs the WAL before copying and the database file after.
  db.pragma('synchronous = NORMAL')
} catch (err) {
  // Errors thrown across threads lose their message: say it in a reply instead.
  parentPort.postMessage({ ok: false, error: String(err && err.message || err) })
  parentPort.close()
}
if (db !== undefined) parentPort.on('message', (msg) => {
  if (msg === 'close') {
    db.close()
    parentPort.close()
    return
  }
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)')
    parentPort.postMessage({ ok: true, copied: row.checkpointed })
  } catch (err) {
    parentPort.postMessage({ ok: false, error: String(err && err.message || err) })
  }
})
`

interface Reply {
  readonly ok: boolean
  /** Frames copied by this checkpoint. */
  readonly copied?: number
  readonly error?: string
}

/** What the checkpointer did so far. */
export interface CheckpointStats {
  /** Whether the worker was started (at the first checkpoint due). */
  readonly started: boolean
  /** Checkpoints the worker completed (some may have found nothing to copy). */
  readonly checkpoints: number
  /** WAL frames the worker copied into the database file. */
  readonly framesCopied: number
  /** Why the worker failed, once it did: the writer's automatic checkpoint is then back at
   * its default. */
  readonly failure: string | undefined
}

/** Requests background checkpoints of one database file in WAL mode. */
export class WalCheckpointer {
  readonly #path: string
  /** Started at the first checkpoint: a short-lived store (a CLI command) never pays for it. */
  #worker: Worker | undefined
  #exited: Promise<void> = Promise.resolve()
  readonly #onFailure: () => void
  #sinceLast = 0
  #inFlight = false
  #failure: string | undefined
  #closed = false
  #checkpoints = 0
  #framesCopied = 0

  /**
   * Checkpoints the database at `path` (which must exist, in WAL mode) on a worker started at
   * the first request. `onFailure` runs once if the worker fails; the caller then restores its
   * own checkpoints.
   */
  constructor(path: string, onFailure: () => void) {
    this.#path = path
    this.#onFailure = onFailure
  }

  /** Counts a commit; asks for a checkpoint every {@link CHECKPOINT_EVERY_COMMITS}. */
  committed(): void {
    if (++this.#sinceLast < CHECKPOINT_EVERY_COMMITS) return
    if (this.#inFlight || this.#failure !== undefined || this.#closed) return
    this.#sinceLast = 0
    this.#inFlight = true
    this.#start().postMessage('checkpoint')
  }

  #start(): Worker {
    if (this.#worker !== undefined) return this.#worker
    const driver = createRequire(import.meta.url).resolve('better-sqlite3')
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path: this.#path, driver },
    })
    // Never what keeps a process alive: an idle store must let it exit.
    worker.unref()
    worker.on('message', (reply: Reply) => this.#settle(reply))
    // What a worker throws arrives serialised; a driver error may lose its Error shape.
    worker.on('error', (err: unknown) => this.#fail(describe(err)))
    this.#exited = new Promise((resolve) => worker.once('exit', () => resolve()))
    this.#worker = worker
    return worker
  }

  get stats(): CheckpointStats {
    return {
      started: this.#worker !== undefined,
      checkpoints: this.#checkpoints,
      framesCopied: this.#framesCopied,
      failure: this.#failure,
    }
  }

  /** Stops the worker (after a checkpoint in progress) and closes its connection. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const worker = this.#worker
    if (worker === undefined) return
    // Held until it has exited: a closing store is waited for, so the process must stay.
    worker.ref()
    if (this.#failure === undefined) worker.postMessage('close')
    else await worker.terminate()
    await this.#exited
  }

  #settle(reply: Reply): void {
    this.#inFlight = false
    if (!reply.ok) {
      this.#fail(reply.error ?? 'checkpoint failed')
      return
    }
    this.#checkpoints++
    this.#framesCopied += Math.max(0, reply.copied ?? 0)
  }

  #fail(reason: string): void {
    if (this.#failure !== undefined) return
    this.#failure = reason === '' ? 'checkpoint worker failed' : reason
    this.#inFlight = false
    if (!this.#closed) this.#onFailure()
  }
}

function describe(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const { message, code } = err as { message?: unknown; code?: unknown }
    if (message !== undefined) return String(message)
    if (code !== undefined) return String(code)
  }
  return String(err)
}
