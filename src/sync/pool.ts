/**
 * Runs `worker` over `items` with at most `limit` in flight; rejects with the first error
 * after every started call has settled (no task is left running behind the caller's back).
 */
export async function runPool<T>(
  items: Iterable<T>,
  limit: number,
  worker: (item: T) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.iterator]()
  let failure: { error: unknown } | undefined
  const lane = async (): Promise<void> => {
    while (failure === undefined) {
      const next = iterator.next()
      if (next.done === true) return
      try {
        await worker(next.value)
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, limit) }, lane))
  if (failure !== undefined) throw failure.error
}

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
