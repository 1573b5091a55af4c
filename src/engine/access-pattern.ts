/**
 * Per-payload read pattern: whether a read continues the previous one. Sequential readers
 * get whole, verified blocks (cached locally and in the read buffer, so the rest of the block
 * and read-ahead are served from memory); random small reads get ranged GETs, so a 4 KiB read
 * does not fetch 8 MiB.
 */

/** Remembers where the last read of each payload ended (bounded, oldest forgotten first). */
export class AccessPattern {
  readonly #lastEnd = new Map<string, number>()
  readonly #limit: number

  constructor(limit = 4096) {
    this.#limit = limit
  }

  /** Records a read and tells whether it was sequential (from 0, or where the last one ended). */
  record(payloadId: string, offset: number, length: number): boolean {
    const last = this.#lastEnd.get(payloadId)
    const sequential = offset === 0 || last === offset
    // Re-insert so the Map's order is least recently read first.
    this.#lastEnd.delete(payloadId)
    this.#lastEnd.set(payloadId, offset + length)
    if (this.#lastEnd.size > this.#limit) {
      const oldest = this.#lastEnd.keys().next().value
      if (oldest !== undefined) this.#lastEnd.delete(oldest)
    }
    return sequential
  }

  /** Forgets a payload (written, truncated or deleted). */
  forget(payloadId: string): void {
    this.#lastEnd.delete(payloadId)
  }
}
