/**
 * The server process's event-loop delay as a Prometheus gauge. A 10 ms timer records how late
 * each of its ticks ran; each scrape reports the delay since the previous scrape and starts a
 * new window, so a stall shows in the next scrape instead of hiding in an all-time maximum.
 * Not `monitorEventLoopDelay`: resetting it drops the first interval after the reset, so a
 * stall that starts right after a scrape would never be reported.
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks'
import { Gauge, type Registry } from 'prom-client'

/** Period of the sampling timer. */
const ResolutionMs = 10

/** Quantiles reported, by label value. */
const STATS = { p50: 50, p99: 99 } as const

/** Event-loop delay between scrapes: `ditto_event_loop_delay_seconds{stat=p50|p99|max}`. */
export class EventLoopDelay {
  readonly #histogram: RecordableHistogram = createHistogram()
  #timer: NodeJS.Timeout | undefined
  #last = 0

  constructor(registry: Registry) {
    const histogram = this.#histogram
    new Gauge({
      name: 'ditto_event_loop_delay_seconds',
      help: 'Event-loop delay of the server process since the previous scrape',
      labelNames: ['stat'],
      registers: [registry],
      collect(): void {
        // Without a sample yet every figure is 0, never the histogram's sentinel minimum.
        const empty = histogram.count === 0
        for (const [stat, p] of Object.entries(STATS)) {
          this.set({ stat }, empty ? 0 : histogram.percentile(p) / 1e9)
        }
        this.set({ stat: 'max' }, empty ? 0 : histogram.max / 1e9)
        histogram.reset()
      },
    })
  }

  /** Starts sampling (the server calls it once listening). Idempotent. */
  start(): void {
    if (this.#timer !== undefined) return
    this.#last = performance.now()
    this.#timer = setInterval(() => {
      const now = performance.now()
      const lateMs = now - this.#last - ResolutionMs
      this.#last = now
      // In nanoseconds; the histogram takes integers >= 1.
      this.#histogram.record(Math.max(1, Math.round(lateMs * 1e6)))
    }, ResolutionMs)
    this.#timer.unref()
  }

  /** Stops sampling (at shutdown): no timer outlives the server. */
  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }
}
