/**
 * A counting semaphore for the fetcher: unlike `forEachBounded` (core), which iterates a known
 * list, it bounds calls that arrive one by one from independent readers.
 */

/** A counting semaphore bounding concurrent work (e.g. remote fetches). */
export class Semaphore {
  #available: number
  readonly #waiters: (() => void)[] = []

  constructor(permits: number) {
    this.#available = Math.max(1, permits)
  }

  /** Runs `fn` holding one permit. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#available > 0) this.#available--
    else await new Promise<void>((resolve) => this.#waiters.push(resolve))
    try {
      return await fn()
    } finally {
      const next = this.#waiters.shift()
      if (next !== undefined) next()
      else this.#available++
    }
  }
}
