/**
 * Sizing derived from the machine: local store size, read buffer, upload/download
 * parallelism. Pure arithmetic; the real detector lives in `src/platform`.
 */
import {
  DefaultPrefetchWorkers,
  MinLocalStoreSize,
  MinParallelFetches,
  MinParallelSyncs,
  MinReadBufferSize,
} from './constants.js'

const GiB = 1024 ** 3
const MiB = 1024 ** 2
const INT64_MAX = 2n ** 63n - 1n

/** Source of system resource figures for {@link deduceDefaults}. */
export interface SystemDetector {
  /** Memory available to this process in bytes (a cgroup limit when one is set). */
  availableMemory(): number
  /** CPUs available to this process. */
  availableCPUs(): number
}

/** Block store sizing derived from system resources. */
export interface DeducedDefaults {
  /** 25% of memory, floor 256 MiB. */
  readonly localStoreSize: number
  /** 12.5% of memory, floor 64 MiB. */
  readonly readBufferSize: number
  /** 50% of the local store size (after its floor). */
  readonly maxPendingSize: number
  /** max(4, CPUs). */
  readonly parallelSyncs: number
  /** max(8, 2 x CPUs). */
  readonly parallelFetches: number
  /** Always {@link DefaultPrefetchWorkers}. */
  readonly prefetchWorkers: number
  /** Descriptions of the values clamped to their floor (strictly below it before clamping). */
  hitFloors(): string[]
  /** One-line summary of every field. */
  toString(): string
}

/** Derives sizing from the detector's memory and CPU figures. */
export function deduceDefaults(detector: SystemDetector): DeducedDefaults {
  // A detector that fails (NaN, negative) must give the floors, never NaN sizing.
  const sane = (n: number): number => (Number.isFinite(n) && n > 0 ? Math.floor(n) : 0)
  const mem = sane(detector.availableMemory())
  const cpus = sane(detector.availableCPUs())
  const floors: string[] = []
  const floor = (value: number, min: number, label: string): number => {
    if (value < min) {
      floors.push(`${label} floored at ${label.endsWith('size') ? formatBytes(min) : min}`)
      return min
    }
    return value
  }
  const localStoreSize = floor(Math.floor(mem / 4), MinLocalStoreSize, 'local_store_size')
  const readBufferSize = floor(
    clampToInt64(Math.floor(mem / 8)),
    MinReadBufferSize,
    'read_buffer_size',
  )
  const parallelSyncs = floor(cpus, MinParallelSyncs, 'parallel_syncs')
  const parallelFetches = floor(cpus * 2, MinParallelFetches, 'parallel_fetches')
  const maxPendingSize = Math.floor(localStoreSize / 2)
  const prefetchWorkers = DefaultPrefetchWorkers
  return {
    localStoreSize,
    readBufferSize,
    maxPendingSize,
    parallelSyncs,
    parallelFetches,
    prefetchWorkers,
    hitFloors: () => [...floors],
    toString: () =>
      `LocalStoreSize=${formatBytes(localStoreSize)}, ReadBufferSize=${formatBytes(readBufferSize)}, ` +
      `ParallelSyncs=${parallelSyncs}, ParallelFetches=${parallelFetches}, ` +
      `MaxPendingSize=${formatBytes(maxPendingSize)}, PrefetchWorkers=${prefetchWorkers}`,
  }
}

/**
 * Human-readable size: whole or one-decimal GiB from 1 GiB up, MiB below
 * (`"2 GiB"`, `"1.5 GiB"`, `"512 MiB"`, `"0.5 MiB"`, `"0 MiB"`).
 */
export function formatBytes(bytes: number): string {
  const [unit, name] = bytes >= GiB ? [GiB, 'GiB'] : [MiB, 'MiB']
  const value = bytes / unit
  return Number.isInteger(value) ? `${value} ${name}` : `${value.toFixed(1)} ${name}`
}

/**
 * Clamps an unsigned value to the signed 64-bit range.
 *
 * - `bigint`: exact; values above 2^63-1 give 2^63-1, negative values give 0.
 * - `number`: a JavaScript number cannot hold every int64, so values beyond 2^53-1
 *   (`Number.MAX_SAFE_INTEGER`) give `Number.MAX_SAFE_INTEGER`: the result is always an
 *   exact integer. Negative values and NaN give 0; fractions are truncated.
 */
export function clampToInt64(value: bigint): bigint
export function clampToInt64(value: number): number
export function clampToInt64(value: number | bigint): number | bigint {
  if (typeof value === 'bigint') {
    if (value < 0n) return 0n
    return value > INT64_MAX ? INT64_MAX : value
  }
  if (!(value > 0)) return 0
  return Math.min(Math.trunc(value), Number.MAX_SAFE_INTEGER)
}
