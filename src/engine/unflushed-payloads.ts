/**
 * Which payloads have changes not yet flushed through this engine, for `flushAll`. The local
 * tier knows too, but does not say; the engine sees every change pass, so it keeps its own
 * list. A payload is recorded when a change to it *finishes* (even a failed one: part of it
 * may have landed), and forgotten after a flush only if no change finished since the flush
 * began, so a write racing a flush is never dropped from the list unflushed.
 */

/** Payload → a counter bumped by every change, to tell a flush whether it saw the latest. */
export class UnflushedPayloads {
  readonly #changes = new Map<string, number>()
  #counter = 0

  /** Records a finished change to `pid`. */
  mark(pid: string): void {
    this.#changes.set(pid, ++this.#counter)
  }

  /** The recorded payloads, sorted, with the stamp {@link forgetIfUnchanged} wants. */
  snapshot(): Array<readonly [string, number]> {
    return [...this.#changes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  }

  /** The stamp of `pid`'s last change (undefined when none is pending). */
  stamp(pid: string): number | undefined {
    return this.#changes.get(pid)
  }

  /**
   * Forgets `pid` after a flush that began when its stamp was `stamp`; a change finished
   * since (a newer stamp) keeps it listed.
   */
  forgetIfUnchanged(pid: string, stamp: number | undefined): void {
    if (stamp !== undefined && this.#changes.get(pid) === stamp) this.#changes.delete(pid)
  }

  /** Forgets `pid` outright: deleted, or renamed away. */
  forget(pid: string): void {
    this.#changes.delete(pid)
  }

  /** Payloads listed. */
  get size(): number {
    return this.#changes.size
  }
}
