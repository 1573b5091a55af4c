/**
 * Request and byte counters shared by the remote store implementations.
 */
import type { RemoteStoreStats } from '../core/remote-store.js'

/** Mutable counters behind a store's `stats()`. */
export class RequestStats {
  #requests: Record<string, number> = {}
  #failures: Record<string, number> = {}
  #bytesUploaded = 0
  #bytesDownloaded = 0

  /** Counts one request of `kind`. */
  request(kind: string): void {
    this.#requests[kind] = (this.#requests[kind] ?? 0) + 1
  }

  /** Counts one failed request of `kind`. */
  failure(kind: string): void {
    this.#failures[kind] = (this.#failures[kind] ?? 0) + 1
  }

  /** Adds payload bytes sent to the store. */
  uploaded(bytes: number): void {
    this.#bytesUploaded += bytes
  }

  /** Adds payload bytes received from the store. */
  downloaded(bytes: number): void {
    this.#bytesDownloaded += bytes
  }

  /** Runs `fn` as one request of `kind`, counting a failure when it throws. */
  async track<T>(kind: string, fn: () => Promise<T>): Promise<T> {
    this.request(kind)
    try {
      return await fn()
    } catch (err) {
      this.failure(kind)
      throw err
    }
  }

  /** A frozen copy of the counters. */
  snapshot(): RemoteStoreStats {
    return {
      requests: Object.freeze({ ...this.#requests }),
      failures: Object.freeze({ ...this.#failures }),
      bytesUploaded: this.#bytesUploaded,
      bytesDownloaded: this.#bytesDownloaded,
    }
  }
}
