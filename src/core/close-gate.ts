/**
 * A close gate: closing while a write, read or flush is in flight tore writes in the reference,
 * so close() refuses new calls at once and waits for the running ones before anything is
 * closed. In core (no I/O) so the engine and the stores can share it.
 */
import type { AbortOptions } from './abort.js'
import { BlockStoreError } from './errors.js'

/** Counts calls in flight and runs the close work once, after the last of them. */
export class CloseGate {
  readonly #what: string
  readonly #backend: string | undefined
  #active = 0
  #idle: (() => void) | undefined
  #closing: Promise<void> | undefined

  /** `what` names the resource in BS_STORE_CLOSED messages (e.g. "block store"). */
  constructor(what: string, backend?: string) {
    this.#what = what
    this.#backend = backend
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closing !== undefined
  }

  /**
   * Runs `fn` as one public call named `op`.
   * @throws {BlockStoreError} BS_STORE_CLOSED once close() was called; `signal.reason` when
   * aborted before it starts.
   */
  async run<T>(op: string, o: AbortOptions | undefined, fn: () => Promise<T>): Promise<T> {
    if (this.#closing !== undefined) {
      throw new BlockStoreError('BS_STORE_CLOSED', `${this.#what} is closed (${op})`, {
        op,
        ...(this.#backend === undefined ? {} : { backend: this.#backend }),
      })
    }
    o?.signal?.throwIfAborted()
    this.#active++
    try {
      return await fn()
    } finally {
      if (--this.#active === 0) this.#idle?.()
    }
  }

  /** Closes the gate and, once no call is in flight, runs `closeAll`; every call shares it. */
  close(closeAll: () => Promise<void>): Promise<void> {
    this.#closing ??= this.#drainThen(closeAll)
    return this.#closing
  }

  /**
   * Closes the gate at once and runs `release` without waiting for the calls in flight, as a
   * process kill would leave them. Later close() and abandon() calls share its promise.
   */
  abandon(release: () => Promise<void>): Promise<void> {
    this.#closing ??= release()
    return this.#closing
  }

  async #drainThen(closeAll: () => Promise<void>): Promise<void> {
    if (this.#active > 0) await new Promise<void>((resolve) => (this.#idle = resolve))
    await closeAll()
  }
}
