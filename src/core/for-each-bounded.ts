/**
 * Bounded-concurrency iteration shared by the syncer, the conformance suites and the benches.
 * It lives in core (no I/O, no node:* import) so every layer, stores included, may use it.
 */
import type { AbortOptions } from './abort.js'

/**
 * Calls `fn` on each item in order with at most `limit` calls in flight. After the first
 * failure (or an abort) no new call starts; once the in-flight ones settle it rejects with that
 * first error (`signal.reason` on abort). Later errors are dropped: nothing runs afterwards.
 * @throws {RangeError} when `limit` is not a positive safe integer.
 */
export async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<unknown>,
  options?: AbortOptions,
): Promise<void> {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError(`limit must be a positive safe integer, got ${limit}`)
  }
  const signal = options?.signal
  signal?.throwIfAborted()
  let next = 0
  let failure: { error: unknown } | undefined
  // Settling with the first failure only after every lane returns means no call is ever left
  // running behind the caller's back (close() paths and test teardown rely on that).
  const lane = async (): Promise<void> => {
    while (failure === undefined) {
      try {
        if (signal?.aborted === true) throw signal.reason
        if (next >= items.length) return
        const index = next++
        await fn(items[index] as T, index)
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane))
  if (failure !== undefined) throw failure.error
}
