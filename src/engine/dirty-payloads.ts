/**
 * Which payloads hold bytes not yet uploaded, and since when (this process's view): the age
 * of the oldest such byte is a statistic, cheaper to keep than to derive from every row.
 */

/** Payload → when its oldest byte not yet uploaded was written. */
export class DirtyPayloads {
  readonly #since = new Map<string, number>()

  /** The tracked payloads and their first unuploaded write (ms since the epoch). */
  get since(): ReadonlyMap<string, number> {
    return this.#since
  }

  /** Records a write into `pid`; an older pending write keeps its time. */
  mark(pid: string): void {
    if (!this.#since.has(pid)) this.#since.set(pid, Date.now())
  }

  /** Forgets `pid`: deleted, or every block of it is remote. */
  forget(pid: string): void {
    this.#since.delete(pid)
  }

  /**
   * Forgets every payload after a complete drain: only payloads written since (still Dirty)
   * remain unuploaded, and stats fall back to the rows for those.
   */
  forgetAll(): void {
    this.#since.clear()
  }
}
