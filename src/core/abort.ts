/** Trailing options of every I/O method. */
export interface AbortOptions {
  /** Aborting rejects the call with `signal.reason` (an `AbortError` by default). */
  readonly signal?: AbortSignal | undefined
}

/** Throws `signal.reason` when the signal is already aborted. */
export function throwIfAborted(options?: AbortOptions): void {
  options?.signal?.throwIfAborted()
}

/**
 * A promise and its settle functions (Node 20 lacks `Promise.withResolvers`).
 */
export interface Deferred<T> {
  readonly promise: Promise<T>
  resolve(value: T): void
  reject(reason: unknown): void
}

/** Creates a {@link Deferred}. */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (reason: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}
