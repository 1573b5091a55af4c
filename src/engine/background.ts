/**
 * Background tasks owned by the engine (caching fetched blocks on local disk): started without
 * making the caller wait, awaited by close() so nothing runs after the stores are closed.
 */
import { debuglog } from 'node:util'

const log = debuglog('blockstore:engine')

/** A set of tracked background tasks. */
export class BackgroundTasks {
  readonly #running = new Set<Promise<void>>()
  #closed = false

  /** Starts `fn` in the background; its failure is logged, never thrown. Ignored after close. */
  run(what: string, fn: () => Promise<unknown>): void {
    if (this.#closed) return
    const task = fn().then(
      () => {},
      (err: unknown) => log('%s failed: %o', what, err),
    )
    this.#running.add(task)
    void task.finally(() => this.#running.delete(task))
  }

  /** Tasks running now. */
  get size(): number {
    return this.#running.size
  }

  /** Waits for the tasks running now (new ones may start meanwhile). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running])
  }

  /** Refuses new tasks and waits for the running ones. */
  async close(): Promise<void> {
    this.#closed = true
    await this.idle()
  }
}
