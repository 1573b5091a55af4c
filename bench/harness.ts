/**
 * Benchmark harness: a workload measures a figure and a baseline in the same run; the
 * report is their ratio, median of several repetitions.
 */

/** One measured comparison inside a workload. */
export interface Comparison {
  /** What was measured, e.g. "sequential write 1 GiB". */
  readonly name: string
  /** Unit of both values, e.g. "MiB/s", "ops/s", "ms". */
  readonly unit: string
  /** True when a larger value is better (throughput); false for latencies and sizes. */
  readonly higherIsBetter: boolean
  /** The project's figure (median over repetitions). */
  readonly value: number
  /** What the baseline is, e.g. "raw fs.write + fsync". */
  readonly baselineName: string
  /** The baseline's figure in the same unit (median), or undefined for figures with no baseline. */
  readonly baseline?: number | undefined
  /** Goal for the ratio value/baseline (for example 0.8), when the issue sets one. */
  readonly goal?: number | undefined
  /** Extra figures worth recording (peak RSS, sizes, counts). */
  readonly notes?: Readonly<Record<string, number | string>> | undefined
}

/** Context handed to a workload. */
export interface BenchContext {
  /** Repetitions per measurement (median reported); small when --quick is given. */
  readonly repetitions: number
  /** True under --quick: workloads shrink their data sizes (used by the harness test). */
  readonly quick: boolean
  /** A fresh scratch directory for this workload, removed afterwards. */
  readonly scratchDir: string
  /** Progress line for the console. */
  log(message: string): void
}

/** A named workload. */
export interface Workload {
  readonly name: string
  readonly description: string
  run(ctx: BenchContext): Promise<Comparison[]>
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list')
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Runs `fn` `times` times and returns the median of its results. */
export async function medianOf(times: number, fn: () => Promise<number>): Promise<number> {
  const results: number[] = []
  for (let i = 0; i < times; i++) results.push(await fn())
  return median(results)
}

/** Throughput in MiB/s of `bytes` moved in `ms` milliseconds. */
export function mibPerSecond(bytes: number, ms: number): number {
  return bytes / (1024 * 1024) / (ms / 1000)
}

/** The value/baseline ratio oriented so that > 1 means "better than the baseline". */
export function ratio(c: Comparison): number | undefined {
  if (c.baseline === undefined || c.baseline === 0 || c.value === 0) return undefined
  return c.higherIsBetter ? c.value / c.baseline : c.baseline / c.value
}

/** Samples the process RSS every `intervalMs` until stopped; returns the peak in bytes. */
export function trackPeakRss(intervalMs = 20): { stop(): number } {
  let peak = process.memoryUsage.rss()
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss())
  }, intervalMs)
  timer.unref()
  return {
    stop(): number {
      clearInterval(timer)
      return Math.max(peak, process.memoryUsage.rss())
    },
  }
}
