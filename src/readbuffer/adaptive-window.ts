/**
 * How many prefetch loads may run at once, adapted to what the reader shows. The two signals
 * are counts the read buffer reports; a clock only measures loads completed per second.
 *
 * - **Late**: a reader missed the buffer on a block the prefetcher was still loading, while
 *   every allowed load was busy. The reader consumes faster than the loads complete: with a
 *   remote of some latency L and T bytes per second wanted, about T x L bytes must be in
 *   flight, and only more concurrent loads get there. The limit grows by one, as long as the
 *   last step up paid: each level runs at least `limit` loads, and once a level completes
 *   loads less than {@link MinGainPerStep} faster than the one below it (the remote or this
 *   process is saturated, more requests only queue), growth pauses until the limit shrinks
 *   or {@link ReprobeAfterLevels} x limit more loads completed (then it probes one step up).
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

/** Relative throughput gain one more load in flight must bring for the pool to keep growing. */
export const MinGainPerStep = 0.05

/**
 * Loads completed at a paused level, in multiples of the limit, before growth probes again: a
 * rate measured over a few loads on a busy machine is noisy, and one unlucky sample must not
 * cap a long stream.
 */
export const ReprobeAfterLevels = 16

/** Milliseconds on a monotonic clock (injected by tests). */
export type Clock = () => number

/** Bounds and state of the adaptive concurrency. */
export class AdaptiveWindow {
  /** The configured number of workers: the limit never goes below it. */
  readonly base: number
  /** The most loads ever allowed at once. */
  readonly max: number
  #limit: number
  #late = 0
  #wasted = 0
  readonly #now: Clock
  // Throughput of the current level: loads completed since it began, its busy time so far
  // (idle stretches between streams excluded) and the rate the level below it reached.
  #levelLoads = 0
  #busyMs = 0
  #busySince: number | undefined
  #belowRate: number | undefined
  #plateau = false

  /**
   * @param base configured workers (at least 1)
   * @param maxWorkers ceiling asked for (at least `base`)
   * @param budgetBlocks whole blocks the read buffer holds; in-flight loads plus a read-ahead
   *   window of twice as many blocks stay within half of it
   */
  constructor(
    base: number,
    maxWorkers: number,
    budgetBlocks: number,
    now: Clock = () => performance.now(),
  ) {
    this.#now = now
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

  /** True once growing stopped paying; cleared when the limit shrinks. */
  get plateau(): boolean {
    return this.#plateau
  }

  /** Loads started after none ran: the level's busy time runs again. */
  onBusy(): void {
    this.#busySince ??= this.#now()
  }

  /** No load runs any more: the idle stretch until the next does not count. */
  onIdle(): void {
    if (this.#busySince === undefined) return
    this.#busyMs += this.#now() - this.#busySince
    this.#busySince = undefined
  }

  /** A load completed. */
  onLoaded(): void {
    this.#levelLoads++
    if (this.#plateau && this.#levelLoads >= ReprobeAfterLevels * this.#limit) {
      // Probe again: the next late read at a busy pool grows the limit and measures anew.
      this.#plateau = false
      this.#belowRate = undefined
    }
  }

  /**
   * The reader waited for a block being prefetched while `inFlight` loads ran. Returns true
   * when the limit grew.
   */
  onLate(inFlight: number): boolean {
    this.#late++
    if (inFlight < this.#limit || this.#limit >= this.max || this.#plateau) return false
    // A level is judged once it has completed as many loads as it runs at once.
    if (this.#levelLoads < this.#limit) return false
    const rate = this.#levelLoads / Math.max(this.#levelBusyMs(), 1e-3)
    if (this.#belowRate !== undefined && rate < this.#belowRate * (1 + MinGainPerStep)) {
      this.#plateau = true
      this.#newLevel()
      return false
    }
    this.#belowRate = rate
    this.#limit++
    this.#newLevel()
    return true
  }

  /** A prefetched block was evicted unread: halve the limit (not below the base). */
  onWasted(): void {
    this.#wasted++
    this.#limit = Math.max(this.base, Math.floor(this.#limit / 2))
    // Conditions changed: the next growth measures afresh.
    this.#plateau = false
    this.#belowRate = undefined
    this.#newLevel()
  }

  #levelBusyMs(): number {
    return this.#busyMs + (this.#busySince === undefined ? 0 : this.#now() - this.#busySince)
  }

  #newLevel(): void {
    this.#levelLoads = 0
    this.#busyMs = 0
    if (this.#busySince !== undefined) this.#busySince = this.#now()
  }

  /** Read-ahead window in blocks for the current limit: two loads' worth ahead of each. */
  depthFor(minDepth: number): number {
    return Math.max(minDepth, 2 * this.#limit)
  }
}
