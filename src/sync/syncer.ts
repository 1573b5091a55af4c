/**
 * The syncer: a periodic background uploader, an explicit drain, per-payload sync for
 * remote-durable flushes, cold-read fetching and the remote health monitor, with one owner
 * for all background work (close() stops and awaits it).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { debuglog } from 'node:util'
import type { AbortOptions } from '../core/abort.js'
import { BlockState } from '../core/block.js'
import { DefaultUploadDelayMs, DefaultUploadIntervalMs } from '../core/constants.js'
import { BlockStoreError } from '../core/errors.js'
import type { LocalStore } from '../core/local-store.js'
import type { MetadataStore } from '../core/metadata-store.js'
import type { RemoteStore } from '../core/remote-store.js'
import { Fetcher } from '../fetch/fetcher.js'
import { HealthMonitor, type HealthMonitorOptions } from './health-monitor.js'
import {
  type BlockUploadError,
  Uploader,
  type UploaderOptions,
  type UploadReport,
} from './uploader.js'

const log = debuglog('blockstore:sync')

/** Options of a {@link Syncer}. */
export interface SyncerOptions {
  readonly local: LocalStore
  /** `undefined`: local-only mode (nothing is uploaded or fetched). */
  readonly remote: RemoteStore | undefined
  readonly metadata: MetadataStore
  /** Uploads in flight (default 8). */
  readonly parallelUploads?: number | undefined
  /** Remote reads in flight (default 8). */
  readonly parallelFetches?: number | undefined
  /** Period of the background upload pass (default 1 s). */
  readonly uploadIntervalMs?: number | undefined
  /** A block is uploaded in the background once idle this long (default 2 s). */
  readonly uploadDelayMs?: number | undefined
  /** Time budget of a demand fetch (default 60 s). */
  readonly fetchBudgetMs?: number | undefined
  /** How long a remote-durable flush waits for uploads in flight elsewhere (default 5 min). */
  readonly syncBudgetMs?: number | undefined
  /** Health monitor knobs (the probe is the remote's healthcheck). */
  readonly health?: Omit<HealthMonitorOptions, 'probe'> | undefined
  /** Upload retry backoff knobs. */
  readonly backoff?: Pick<UploaderOptions, 'backoffBaseMs' | 'backoffMaxMs'> | undefined
}

/** Counters of the syncer. */
export interface SyncerStats {
  readonly hasRemote: boolean
  readonly remoteHealthy: boolean
  readonly outageDurationMs: number
  readonly uploads: ReturnType<Uploader['stats']> | undefined
  readonly fetches: ReturnType<Fetcher['stats']> | undefined
}

/** Uploads, fetches and health of one engine's remote. */
export class Syncer {
  readonly health: HealthMonitor
  readonly #metadata: MetadataStore
  readonly #uploader: Uploader | undefined
  readonly #fetcher: Fetcher | undefined
  readonly #interval: number
  readonly #delay: number
  /** How long a remote-durable flush may wait for uploads held by the background pass. */
  readonly #syncBudgetMs: number
  readonly #stop = new AbortController()
  #loop: Promise<void> | undefined

  constructor(options: SyncerOptions) {
    const remote = options.remote
    this.#metadata = options.metadata
    this.#interval = options.uploadIntervalMs ?? DefaultUploadIntervalMs
    this.#delay = options.uploadDelayMs ?? DefaultUploadDelayMs
    this.#syncBudgetMs = options.syncBudgetMs ?? 300_000
    this.health = new HealthMonitor({
      ...options.health,
      probe:
        remote === undefined
          ? undefined
          : async (signal) => {
              const report = await remote.healthcheck({ signal })
              if (report.status !== 'healthy') {
                throw new Error(report.message ?? `remote store is ${report.status}`)
              }
            },
    })
    if (remote !== undefined) {
      this.#uploader = new Uploader({
        local: options.local,
        remote,
        metadata: options.metadata,
        parallelism: options.parallelUploads,
        ...options.backoff,
      })
      this.#fetcher = new Fetcher({
        remote,
        health: this.health,
        parallelism: options.parallelFetches,
        budgetMs: options.fetchBudgetMs,
      })
    }
  }

  /** True when there is a remote store. */
  get hasRemote(): boolean {
    return this.#uploader !== undefined
  }

  /** The cold-read fetcher (`undefined` in local-only mode). */
  get fetcher(): Fetcher | undefined {
    return this.#fetcher
  }

  /** Starts the health monitor (eager probe first) and the background uploader. */
  async start(): Promise<void> {
    await this.health.start()
    if (this.#uploader !== undefined && this.#loop === undefined) {
      this.#loop = this.#runLoop(this.#uploader)
    }
  }

  /** True when the remote is reachable (always true in local-only mode). */
  isRemoteHealthy(): boolean {
    return this.health.isHealthy()
  }

  /**
   * Uploads every Local block until none is left. Blocks that fail are retried within the
   * drain only while others make progress, so a permanently failing block never spins; their
   * errors are in the report.
   * @throws {BlockStoreError} BS_REMOTE_UNAVAILABLE when the remote is unhealthy.
   */
  async drain(options: AbortOptions = {}): Promise<UploadReport> {
    const uploader = this.#uploader
    const total = { uploaded: 0, deduplicated: 0, superseded: 0, bytesUploaded: 0 }
    if (uploader === undefined) return { ...total, failed: [] }
    this.#assertHealthy('drain uploads')
    const failed = new Map<string, BlockUploadError>()
    for (;;) {
      options.signal?.throwIfAborted()
      const rows = (await this.#metadata.listLocalBlocks(0, 0, options)).filter(
        (r) => !failed.has(r.id),
      )
      if (rows.length === 0 && uploader.stats().inFlight === 0) break
      const report = await uploader.pass(0, { ...options, ignoreBackoff: true, rows })
      total.uploaded += report.uploaded
      total.deduplicated += report.deduplicated
      total.superseded += report.superseded
      total.bytesUploaded += report.bytesUploaded
      for (const f of report.failed) failed.set(f.blockId, f)
      const progressed =
        report.uploaded + report.deduplicated + report.superseded + report.failed.length > 0
      // Nothing done: the remaining blocks are in the background pass's hands; wait for it.
      if (!progressed) await sleep(10, undefined, options)
    }
    // Uploads commit their rows without waiting for the store's sync: a drained block is
    // recorded Remote durably before the drain says so.
    await this.#metadata.sync?.()
    return { ...total, failed: [...failed.values()] }
  }

  /**
   * Uploads the Local blocks of one payload (for remote-durable flushes); resolves to true
   * when every block of the payload is then Remote.
   * @throws the first upload error; BS_REMOTE_UNAVAILABLE when the remote is unhealthy.
   */
  async syncPayload(payloadId: string, options: AbortOptions = {}): Promise<boolean> {
    const uploader = this.#uploader
    if (uploader === undefined) return false
    this.#assertHealthy(`upload ${payloadId}`)
    const deadline = Date.now() + this.#syncBudgetMs
    for (;;) {
      const rows = await this.#metadata.listFileBlocks(payloadId, options)
      const pending = rows.filter((r) => r.state !== BlockState.Remote)
      if (pending.length === 0) {
        // As in drain: the uploads' Remote rows made durable before the flush returns.
        await this.#metadata.sync?.()
        return true
      }
      // Dirty rows were written after the local flush: this flush cannot finalize them.
      if (pending.some((r) => r.state === BlockState.Dirty)) return false
      const local = pending.filter((r) => r.state === BlockState.Local)
      const report = await uploader.pass(0, { ...options, ignoreBackoff: true, rows: local })
      const first = report.failed[0]
      if (first !== undefined) throw first.error
      const progressed = report.uploaded + report.deduplicated + report.superseded > 0
      if (!progressed) {
        // The blocks are in a background pass's hands (Syncing, or Local and in flight).
        if (Date.now() > deadline) {
          throw new BlockStoreError(
            'BS_UNAVAILABLE',
            `uploading ${payloadId} did not finish within ${this.#syncBudgetMs} ms`,
            { op: 'flush', payloadId },
          )
        }
        await sleep(10, undefined, options)
      }
    }
  }

  /** Counters. */
  stats(): SyncerStats {
    return {
      hasRemote: this.hasRemote,
      remoteHealthy: this.health.isHealthy(),
      outageDurationMs: this.health.outageDurationMs(),
      uploads: this.#uploader?.stats(),
      fetches: this.#fetcher?.stats(),
    }
  }

  /** Stops the background loop and the monitor, waiting for a running pass. Idempotent. */
  async close(): Promise<void> {
    this.#stop.abort()
    await this.#loop
    await this.health.stop()
    this.#uploader?.releaseBuffers()
  }

  #assertHealthy(what: string): void {
    if (this.health.isHealthy()) return
    throw new BlockStoreError(
      'BS_REMOTE_UNAVAILABLE',
      `cannot ${what}: remote store unavailable (offline for ${Math.floor(this.health.outageDurationMs() / 1000)}s)`,
    )
  }

  async #runLoop(uploader: Uploader): Promise<void> {
    const signal = this.#stop.signal
    while (!signal.aborted) {
      try {
        await sleep(this.#interval, undefined, { signal, ref: false })
      } catch {
        return // stopped
      }
      // Circuit breaker: no uploads while the remote is down; the backlog drains on recovery.
      if (!this.health.isHealthy()) continue
      try {
        await uploader.pass(this.#delay, { signal })
      } catch (err) {
        if (!signal.aborted) log('background upload pass failed: %o', err)
      }
    }
  }
}
