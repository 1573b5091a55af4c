/**
 * The engine's close gate (trap 10): closing while a write, read or flush is in flight tore
 * writes in the reference, so close() refuses new calls at once and waits for the running ones
 * before anything is closed.
 */
import type { AbortOptions } from '../core/abort.js'
import { BlockStoreError } from '../core/errors.js'

/** Counts calls in flight and runs the close work once, after the last of them. */
export class CloseGate {
  #active = 0
  #idle: (() => void) | undefined
  #closing: Promise<void> | undefined

  /**
   * Runs `fn` as one public call named `op`.
   * @throws {BlockStoreError} BS_STORE_CLOSED once close() was called; `signal.reason` when
   * aborted before it starts.
   */
  async run<T>(op: string, o: AbortOptions | undefined, fn: () => Promise<T>): Promise<T> {
    if (this.#closing !== undefined) {
      throw new BlockStoreError('BS_STORE_CLOSED', `block store is closed (${op})`, { op })
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

  async #drainThen(closeAll: () => Promise<void>): Promise<void> {
    if (this.#active > 0) await new Promise<void>((resolve) => (this.#idle = resolve))
    await closeAll()
  }
}
