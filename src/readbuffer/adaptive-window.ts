/**
 * How many prefetch loads may run at once, adapted to what the reader shows. Pure state, no
 * clock: the two signals are counts the read buffer reports.
 *
 * - **Late**: a reader missed the buffer on a block the prefetcher was still loading, while
 *   every allowed load was busy. The reader consumes faster than the loads complete: with a
 *   remote of some latency L and T bytes per second wanted, about T x L bytes must be in
 *   flight, and only more concurrent loads get there. The limit grows by one.
 * - **Wasted**: a prefetched block was evicted before anyone read it. Read-ahead outran the
 *   reader (it stopped, or slowed down) or the buffer is too small for the window: the limit
 *   halves, never below the configured base.
 *
 * A limit that only matters when it binds: a late read with fewer loads running than allowed
 * says the window (not the concurrency) was short, and does not grow it. The ceiling keeps
 * the bytes in flight plus the read-ahead window inside half the read buffer, so prefetch
 * never evicts the blocks the reader is about to consume.
 */

/** Default ceiling of concurrent prefetch loads, as a multiple of the configured base. */
export const PrefetchGrowthFactor = 4

/** Bounds and state of the adaptive concurrency. */
export class AdaptiveWindow {
  /** The configured number of workers: the limit never goes below it. */
  readonly base: number
  /** The most loads ever allowed at once. */
  readonly max: number
  #limit: number
  #late = 0
  #wasted = 0

  /**
   * @param base configured workers (at least 1)
   * @param maxWorkers ceiling asked for (at least `base`)
   * @param budgetBlocks whole blocks the read buffer holds; in-flight loads plus a read-ahead
   *   window of twice as many blocks stay within half of it
   */
  constructor(base: number, maxWorkers: number, budgetBlocks: number) {
    this.base = base
    const byBudget = Math.floor(budgetBlocks / 6)
    this.max = Math.max(base, Math.min(maxWorkers, byBudget))
    this.#limit = base
  }

  /** Loads allowed at once now. */
  get limit(): number {
    return this.#limit
  }

  /** Reads that waited on a block the prefetcher was loading (whether or not it grew). */
  get late(): number {
    return this.#late
  }

  /** Prefetched blocks evicted unread. */
  get wasted(): number {
    return this.#wasted
  }

  /**
   * The reader waited for a block being prefetched while `inFlight` loads ran. Returns true
   * when the limit grew.
   */
  onLate(inFlight: number): boolean {
    this.#late++
    if (inFlight < this.#limit || this.#limit >= this.max) return false
    this.#limit++
    return true
  }

  /** A prefetched block was evicted unread: halve the limit (not below the base). */
  onWasted(): void {
    this.#wasted++
    this.#limit = Math.max(this.base, Math.floor(this.#limit / 2))
  }

  /** Read-ahead window in blocks for the current limit: two loads' worth ahead of each. */
  depthFor(minDepth: number): number {
    return Math.max(minDepth, 2 * this.#limit)
  }
}
