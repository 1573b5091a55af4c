/**
 * The real {@link SystemDetector}: available memory and CPUs of this process, honouring a
 * cgroup (container) memory limit and CPU quota when one is set.
 */
import { readFileSync } from 'node:fs'
import { availableParallelism, totalmem } from 'node:os'
import type { SystemDetector } from '../core/defaults.js'

/** Paths read by {@link createSystemDetector}; injectable for tests. */
export interface SystemDetectorOptions {
  /** cgroup v2 `memory.max`. */
  readonly cgroupV2MemoryMax?: string
  /** cgroup v1 `memory.limit_in_bytes`. */
  readonly cgroupV1MemoryLimit?: string
  /** cgroup v2 `cpu.max`. */
  readonly cgroupV2CpuMax?: string
  /** Physical memory in bytes (default `os.totalmem()`). */
  readonly totalMemory?: number
  /** CPUs (default `os.availableParallelism()`). */
  readonly cpus?: number
}

function readTrimmed(path: string | undefined): string | undefined {
  if (path === undefined) return undefined
  try {
    return readFileSync(path, 'utf8').trim()
  } catch {
    return undefined // no such controller: not limited by it
  }
}

/** Memory limit of a cgroup file, or `undefined` when unlimited or unreadable. */
function memoryLimit(text: string | undefined): number | undefined {
  if (text === undefined || text === 'max' || !/^\d+$/.test(text)) return undefined
  const n = Number(text)
  // cgroup v1 reports "no limit" as a huge page-aligned number near 2^63.
  return n > 0 && n < 2 ** 60 ? n : undefined
}

/** Creates a detector reading the machine and its cgroup limits. */
export function createSystemDetector(options: SystemDetectorOptions = {}): SystemDetector {
  const v2 = options.cgroupV2MemoryMax ?? '/sys/fs/cgroup/memory.max'
  const v1 = options.cgroupV1MemoryLimit ?? '/sys/fs/cgroup/memory/memory.limit_in_bytes'
  const cpuMax = options.cgroupV2CpuMax ?? '/sys/fs/cgroup/cpu.max'
  return {
    availableMemory(): number {
      const total = options.totalMemory ?? totalmem()
      const limit = memoryLimit(readTrimmed(v2)) ?? memoryLimit(readTrimmed(v1))
      return limit === undefined ? total : Math.min(total, limit)
    },
    availableCPUs(): number {
      const cpus = options.cpus ?? availableParallelism()
      const [quota, period] = (readTrimmed(cpuMax) ?? 'max').split(/\s+/)
      if (quota === undefined || quota === 'max' || period === undefined) return cpus
      const q = Number(quota)
      const p = Number(period)
      if (!(q > 0 && p > 0)) return cpus
      return Math.max(1, Math.min(cpus, Math.ceil(q / p)))
    },
  }
}
