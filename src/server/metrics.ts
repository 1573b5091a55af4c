/**
 * Prometheus metrics of one server (its own prom-client registry, never the global one).
 * Engine figures are read from one `engine.stats()` snapshot per scrape through `collect`
 * callbacks; HTTP figures are recorded as requests finish; prom-client's default `process_*`
 * and `nodejs_*` metrics (memory, heap, GC, CPU, descriptors, handles) describe the process.
 * Their `nodejs_eventloop_lag_*` gauges reset their histogram at each scrape and miss a stall
 * that starts right after one (a 60 ms stall read as 10-16 ms), so the server keeps its own
 * `ditto_event_loop_delay_seconds` beside them.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { BlockStore, BlockStoreStats } from '../core/block-store.js'
import { EventLoopDelay } from './event-loop-delay.js'

type Snapshot = () => BlockStoreStats | undefined

function gauge(
  registry: Registry,
  name: string,
  help: string,
  read: (s: BlockStoreStats) => number | Readonly<Record<string, number>>,
  snapshot: Snapshot,
  label = 'kind',
): void {
  new Gauge({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect(): void {
      const s = snapshot()
      if (s === undefined) return
      const value = read(s)
      if (typeof value === 'number') this.set(value)
      else for (const [k, v] of Object.entries(value)) this.set({ [label]: k }, v)
    },
  })
}

function counter(
  registry: Registry,
  name: string,
  help: string,
  read: (s: BlockStoreStats) => number | Readonly<Record<string, number>>,
  snapshot: Snapshot,
  label = 'kind',
): void {
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect(): void {
      const s = snapshot()
      if (s === undefined) return
      // The engine keeps the running totals; a scrape republishes them.
      this.reset()
      const value = read(s)
      if (typeof value === 'number') this.inc(value)
      else for (const [k, v] of Object.entries(value)) this.inc({ [label]: k }, v)
    },
  })
}

/** The metrics of one server. */
export class ServerMetrics {
  readonly registry = new Registry()
  #snapshot: BlockStoreStats | undefined
  readonly #requests: Counter<'route' | 'method' | 'status'>
  readonly #duration: Histogram<'route' | 'method'>
  readonly #bodyBytes: Counter<'direction'>
  /** Sampled while the server listens (see {@link EventLoopDelay}). */
  readonly eventLoopDelay: EventLoopDelay

  constructor() {
    const r = this.registry
    const snap: Snapshot = () => this.#snapshot
    gauge(r, 'ditto_payloads', 'Payloads tracked by the local store', (s) => s.fileCount, snap)
    gauge(
      r,
      'ditto_blocks',
      'Blocks by state (remote_cached: remote blocks that also have a local copy)',
      (s) => ({
        dirty: s.blocksDirty,
        local: s.blocksLocal,
        remote: s.blocksRemote,
        remote_cached: s.blocksRemoteCached,
      }),
      snap,
      'state',
    )
    gauge(
      r,
      'ditto_local_disk_bytes',
      'Local disk used and cap (0 = unlimited)',
      (s) => ({
        used: s.localDiskUsed,
        max: s.localDiskMax,
      }),
      snap,
    )
    gauge(
      r,
      'ditto_local_memory_bytes',
      'Dirty buffer memory used and budget',
      (s) => ({
        used: s.localMemUsed,
        max: s.localMemMax,
      }),
      snap,
    )
    gauge(
      r,
      'ditto_read_buffer_bytes',
      'Read buffer used and size',
      (s) => ({
        used: s.readBufferUsed,
        max: s.readBufferMax,
      }),
      snap,
    )
    gauge(
      r,
      'ditto_read_buffer_entries',
      'Blocks in the read buffer',
      (s) => s.readBufferEntries,
      snap,
    )
    counter(
      r,
      'ditto_read_buffer_lookups_total',
      'Read buffer lookups by result',
      (s) => ({
        hit: s.readBufferHits,
        miss: s.readBufferMisses,
        prefetch_hit: s.prefetchHits,
      }),
      snap,
      'result',
    )
    gauge(
      r,
      'ditto_remote_configured',
      '1 when a remote store is configured',
      (s) => Number(s.hasRemote),
      snap,
    )
    gauge(
      r,
      'ditto_remote_healthy',
      '1 when the remote store is reachable',
      (s) => Number(s.remoteHealthy),
      snap,
    )
    gauge(
      r,
      'ditto_remote_outage_seconds',
      'Duration of the current remote outage',
      (s) => s.outageDurationSeconds,
      snap,
    )
    gauge(
      r,
      'ditto_oldest_unuploaded_age_seconds',
      'Age of the oldest byte not yet safely remote',
      (s) => s.oldestUnuploadedAgeMs / 1000,
      snap,
    )
    gauge(r, 'ditto_uploads_in_flight', 'Block uploads in flight', (s) => s.uploadsInFlight, snap)
    counter(
      r,
      'ditto_uploads_total',
      'Block uploads by result',
      (s) => ({
        completed: s.uploadsCompleted,
        failed: s.uploadsFailed,
      }),
      snap,
      'result',
    )
    counter(
      r,
      'ditto_upload_bytes_total',
      'Bytes uploaded to the remote store',
      (s) => s.bytesUploaded,
      snap,
    )
    counter(
      r,
      'ditto_download_bytes_total',
      'Bytes downloaded from the remote store',
      (s) => s.bytesDownloaded,
      snap,
    )
    counter(
      r,
      'ditto_dedup_hits_total',
      'Blocks not uploaded because the content already was',
      (s) => s.dedupHits,
      snap,
    )
    counter(
      r,
      'ditto_remote_requests_total',
      'Remote store requests by kind',
      (s) => s.remoteRequests,
      snap,
    )
    counter(
      r,
      'ditto_offline_reads_blocked_total',
      'Reads refused during a remote outage',
      (s) => s.offlineReadsBlocked,
      snap,
    )
    counter(
      r,
      'ditto_integrity_failures_total',
      'Fetched blocks or ranges refused because their bytes did not match their hash',
      (s) => s.integrityFailures,
      snap,
    )
    this.#requests = new Counter({
      name: 'ditto_http_requests_total',
      help: 'HTTP requests by route, method and status',
      labelNames: ['route', 'method', 'status'],
      registers: [r],
    })
    this.#duration = new Histogram({
      name: 'ditto_http_request_duration_seconds',
      help: 'HTTP request latency by route and method',
      labelNames: ['route', 'method'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
      registers: [r],
    })
    this.#bodyBytes = new Counter({
      name: 'ditto_http_body_bytes_total',
      help: 'Payload bytes received (in) and sent (out) over HTTP',
      labelNames: ['direction'],
      registers: [r],
    })
    this.eventLoopDelay = new EventLoopDelay(r)
    collectDefaultMetrics({ register: r })
  }

  /** Records one finished request. */
  observeRequest(route: string, method: string, status: number, seconds: number): void {
    this.#requests.inc({ route, method, status: String(status) })
    this.#duration.observe({ route, method }, seconds)
  }

  /** Counts payload bytes moved over HTTP. */
  observeBody(direction: 'in' | 'out', bytes: number): void {
    if (bytes > 0) this.#bodyBytes.inc({ direction }, bytes)
  }

  /** The exposition text, with engine figures from a fresh `stats()` snapshot. */
  async render(engine: BlockStore): Promise<string> {
    this.#snapshot = await engine.stats()
    return this.registry.metrics()
  }

  /** Content type of {@link render}'s text. */
  get contentType(): string {
    return this.registry.contentType
  }
}
