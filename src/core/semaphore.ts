/**
 * A counting semaphore for the fetcher and the uploader: unlike `forEachBounded` (core), which
 * iterates a known list, it bounds calls that arrive one by one, each taking a weight (1 by
 * default; the uploader weighs by bytes).
 */

interface Waiter {
  readonly weight: number
  readonly resolve: () => void
}

/** A counting semaphore bounding concurrent work (e.g. remote fetches, bytes on the wire). */
export class Semaphore {
  readonly #capacity: number
  #available: number
  readonly #waiters: Waiter[] = []

  constructor(permits: number) {
    this.#capacity = Math.max(1, permits)
    this.#available = this.#capacity
  }

  /**
   * Waits for `weight` permits (at most the capacity: a heavier call runs alone) and returns
   * the function that gives them back. First come, first served: a heavy waiter at the head is
   * not overtaken by light ones behind it, so large blocks never starve behind small ones.
   */
  async acquire(weight = 1): Promise<() => void> {
    const w = Math.min(this.#capacity, Math.max(1, weight))
    if (this.#waiters.length === 0 && this.#available >= w) this.#available -= w
    else await new Promise<void>((resolve) => this.#waiters.push({ weight: w, resolve }))
    let released = false
    return () => {
      if (released) return
      released = true
      this.#available += w
      for (let head = this.#waiters[0]; head !== undefined; head = this.#waiters[0]) {
        if (this.#available < head.weight) break
        this.#available -= head.weight
        this.#waiters.shift()
        head.resolve()
      }
    }
  }

  /** Runs `fn` holding `weight` permits (1 by default). */
  async run<T>(fn: () => Promise<T>, weight = 1): Promise<T> {
    const release = await this.acquire(weight)
    try {
      return await fn()
    } finally {
      release()
    }
  }
}
