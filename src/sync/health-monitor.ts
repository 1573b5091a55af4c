/**
 * Health monitor of the remote store (the Go reference's design, with fixes): an eager probe
 * at start so an outage at start-up is seen, a failure threshold, faster probing while
 * unhealthy (also after a failed eager probe, so a remote down at start-up is seen back within
 * seconds, not a healthy period later), a per-probe timeout so a hung remote cannot stall the
 * monitor, and any number of transition listeners.
 */
import { debuglog } from 'node:util'

const log = debuglog('blockstore:health')

/** Options of a {@link HealthMonitor}. */
export interface HealthMonitorOptions {
  /** The probe; `undefined` means always healthy (local-only engines). */
  readonly probe: ((signal: AbortSignal) => Promise<void>) | undefined
  /** Probe period while healthy (default 30 s). */
  readonly intervalMs?: number | undefined
  /** Probe period while unhealthy (default 5 s). */
  readonly unhealthyIntervalMs?: number | undefined
  /** Consecutive failures that make a healthy remote unhealthy (default 3). */
  readonly failureThreshold?: number | undefined
  /** Bound on one probe (default 10 s). */
  readonly probeTimeoutMs?: number | undefined
  /** Clock, for tests. */
  readonly now?: (() => number) | undefined
}

/** A snapshot of the monitor's state. */
export interface HealthState {
  readonly healthy: boolean
  readonly consecutiveFailures: number
  /** Since when the remote is unhealthy (ms epoch), 0 when healthy. */
  readonly unhealthySince: number
  /** Message of the last failed probe. */
  readonly lastError: string | undefined
  /** When the last probe finished (ms epoch), 0 before any. */
  readonly lastCheckedAt: number
  /** Fetched blocks or ranges whose bytes did not match their hash, since start. */
  readonly integrityFailures: number
  /** Message of the last of them. */
  readonly lastIntegrityError: string | undefined
}

/** Tracks whether the remote is reachable, probing it periodically. */
export class HealthMonitor {
  readonly #probe: HealthMonitorOptions['probe']
  readonly #interval: number
  readonly #unhealthyInterval: number
  readonly #threshold: number
  readonly #probeTimeout: number
  readonly #now: () => number
  readonly #listeners = new Set<(healthy: boolean) => void>()
  readonly #stop = new AbortController()
  #healthy = true
  #failures = 0
  #unhealthySince = 0
  #lastError: string | undefined
  #lastCheckedAt = 0
  #integrityFailures = 0
  #lastIntegrityError: string | undefined
  #timer: NodeJS.Timeout | undefined
  #running: Promise<boolean> | undefined
  #started = false

  constructor(options: HealthMonitorOptions) {
    this.#probe = options.probe
    this.#interval = positive(options.intervalMs, 30_000)
    this.#unhealthyInterval = positive(options.unhealthyIntervalMs, 5_000)
    this.#threshold = positive(options.failureThreshold, 3)
    // Independent of the interval: probes never overlap, so a slow probe only delays the next.
    this.#probeTimeout = positive(options.probeTimeoutMs, 10_000)
    this.#now = options.now ?? Date.now
  }

  /**
   * Registers a transition listener (called with `false` when the remote becomes unhealthy,
   * `true` when it recovers). Returns a function that removes it.
   */
  onTransition(listener: (healthy: boolean) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Runs the eager probe, then probes periodically. Idempotent. */
  async start(): Promise<void> {
    if (this.#started || this.#probe === undefined) return
    this.#started = true
    const ok = await this.probeNow()
    if (!ok && this.#healthy && !this.#stop.signal.aborted) {
      // An outage at start-up counts at once: there is no healthy history to protect.
      this.#markUnhealthy()
    }
    this.#schedule()
  }

  /** Probes now (outside the schedule); resolves to the probe's success. */
  probeNow(): Promise<boolean> {
    if (this.#probe === undefined) return Promise.resolve(true)
    // Concurrent callers share one probe so a storm of checks cannot overload the remote.
    this.#running ??= this.#runProbe(this.#probe).finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  /**
   * Reports a failed remote read. Only failures that say the remote itself is unreachable
   * count (see {@link isRemoteOutage}): a missing or corrupt object shows the remote answered.
   * A counted failure is one failed probe, and it starts a probe at once: when that probe
   * fails too the remote is marked unhealthy without waiting for the threshold, because two
   * independent failures in a row are evidence enough and readers should stop waiting on a
   * dead remote now, not after several probe periods. A probe that succeeds clears the count.
   */
  reportReadFailure(err: unknown): void {
    if (this.#probe === undefined || this.#stop.signal.aborted || !isRemoteOutage(err)) return
    this.#failures++
    this.#lastError = `remote read failed: ${err instanceof Error ? err.message : String(err)}`
    if (!this.#healthy) return
    if (this.#failures >= this.#threshold) {
      this.#markUnhealthy()
      return
    }
    void this.probeNow().then((ok) => {
      if (!ok && this.#healthy && !this.#stop.signal.aborted) this.#markUnhealthy()
    })
  }

  /**
   * Reports a fetched object whose bytes did not match their hash. Recorded (count and last
   * message, in {@link state}) but never counted against the remote's health: the remote
   * answered, and marking it unhealthy would refuse every other cold read, nearly all of them
   * of intact objects, turning one damaged object into an outage. A damaged object is data
   * loss to repair, which is what the count is for.
   */
  reportIntegrityFailure(err: unknown): void {
    this.#integrityFailures++
    this.#lastIntegrityError = err instanceof Error ? err.message : String(err)
  }

  /** True when the remote is considered reachable (always true without a probe). */
  isHealthy(): boolean {
    return this.#healthy
  }

  /** How long the current outage has lasted, 0 when healthy. */
  outageDurationMs(): number {
    return this.#healthy ? 0 : Math.max(0, this.#now() - this.#unhealthySince)
  }

  /** A snapshot of the state. */
  state(): HealthState {
    return {
      healthy: this.#healthy,
      consecutiveFailures: this.#failures,
      unhealthySince: this.#unhealthySince,
      lastError: this.#lastError,
      lastCheckedAt: this.#lastCheckedAt,
      integrityFailures: this.#integrityFailures,
      lastIntegrityError: this.#lastIntegrityError,
    }
  }

  /** Stops probing and waits for a running probe. Idempotent. */
  async stop(): Promise<void> {
    this.#stop.abort()
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#running?.catch(() => {})
  }

  async #runProbe(probe: (signal: AbortSignal) => Promise<void>): Promise<boolean> {
    // A ref'd timer (unlike AbortSignal.timeout): a hung probe is bounded work the process
    // must wait for, not a reason to exit early.
    const timeout = new AbortController()
    const timer = setTimeout(
      () => timeout.abort(new Error('health probe timed out')),
      this.#probeTimeout,
    )
    const signal = AbortSignal.any([this.#stop.signal, timeout.signal])
    try {
      await probe(signal)
      this.#lastCheckedAt = this.#now()
      this.#failures = 0
      this.#lastError = undefined
      if (!this.#healthy) {
        this.#healthy = true
        this.#unhealthySince = 0
        log('remote recovered')
        this.#emit(true)
      }
      return true
    } catch (err) {
      this.#lastCheckedAt = this.#now()
      // A probe cut short by stop() says nothing about the remote.
      if (this.#stop.signal.aborted) return false
      this.#failures++
      this.#lastError = signal.aborted
        ? `health probe timed out after ${this.#probeTimeout} ms`
        : err instanceof Error
          ? err.message
          : String(err)
      if (this.#healthy && this.#failures >= this.#threshold) this.#markUnhealthy()
      return false
    } finally {
      clearTimeout(timer)
    }
  }

  #markUnhealthy(): void {
    this.#healthy = false
    this.#unhealthySince = this.#now()
    log('remote unhealthy: %s', this.#lastError)
    this.#emit(false)
  }

  #emit(healthy: boolean): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(healthy)
      } catch (err) {
        log('health listener threw: %o', err)
      }
    }
  }

  #schedule(): void {
    if (this.#stop.signal.aborted) return
    const delay = this.#healthy ? this.#interval : this.#unhealthyInterval
    this.#timer = setTimeout(() => {
      void this.probeNow().then(() => this.#schedule())
    }, delay)
    this.#timer.unref()
  }
}

/** Codes of remote read failures that say nothing about the remote's reachability. */
const NOT_AN_OUTAGE = new Set([
  // The remote answered: the object is missing or its bytes are wrong (data loss, not an outage).
  'BS_BLOCK_NOT_FOUND',
  'BS_INTEGRITY_CHECK_FAILED',
  // Our own state or a bad request, not the remote's.
  'BS_STORE_CLOSED',
  'BS_INVALID_ARGUMENT',
  'BS_INVALID_OFFSET',
  'BS_INVALID_SIZE',
])

/**
 * True when a failed remote read means the remote itself is unreachable or unusable (network,
 * I/O errors, timeouts, refused credentials), so it counts against its health. A cancelled
 * read (the reader went away) does not count.
 */
export function isRemoteOutage(err: unknown): boolean {
  if (!(err instanceof Error) || err.name === 'AbortError') return false
  const code = (err as { code?: unknown }).code
  return !(typeof code === 'string' && NOT_AN_OUTAGE.has(code))
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback
}
