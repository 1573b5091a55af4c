/**
 * Measuring helpers for the remote benchmarks: wall time with CPU time beside it, alternating
 * runs of a figure and its baseline, and request counts per block.
 */
import { readdirSync, readFileSync } from 'node:fs'
import type { RemoteStoreStats } from '../../src/core/remote-store.js'
import { median } from '../harness.js'

const GiB = 1024 * 1024 * 1024

/** One timed run: wall ms and CPU ms (user + system) of this process. */
export interface Timed {
  readonly ms: number
  readonly cpuMs: number
}

/** Runs `fn`, measuring wall time and the process's CPU time. */
export async function timed(fn: () => Promise<unknown>): Promise<Timed> {
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await fn()
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 }
}

/** CPU seconds per GiB moved. */
export function cpuSecondsPerGiB(t: Timed, bytes: number): number {
  return t.cpuMs / 1000 / (bytes / GiB)
}

/** Medians of a figure's runs: MiB/s and CPU s/GiB. */
export interface Summary {
  readonly mibps: number
  readonly cpuPerGiB: number
  readonly runs: readonly number[]
}

/** Summarises runs that each moved `bytes`. */
export function summarise(runs: readonly Timed[], bytes: number): Summary {
  const rates = runs.map((r) => bytes / (1024 * 1024) / (r.ms / 1000))
  return {
    mibps: median(rates),
    cpuPerGiB: median(runs.map((r) => cpuSecondsPerGiB(r, bytes))),
    runs: rates.map((r) => Math.round(r)),
  }
}

/**
 * Runs `ours` and `raw` `reps` times each, alternating which goes first, so drift on a
 * shared machine (other processes, server caches, write-back) hits both alike.
 */
export async function alternate(
  reps: number,
  ours: (rep: number) => Promise<Timed>,
  raw: (rep: number) => Promise<Timed>,
): Promise<{ ours: Timed[]; raw: Timed[] }> {
  const a: Timed[] = []
  const b: Timed[] = []
  for (let rep = 0; rep < reps; rep++) {
    if (rep % 2 === 0) {
      a.push(await ours(rep))
      b.push(await raw(rep))
    } else {
      b.push(await raw(rep))
      a.push(await ours(rep))
    }
  }
  return { ours: a, raw: b }
}

/** Requests sent between two stats snapshots, by kind, divided by `blocks`. */
export function requestsPerBlock(
  before: RemoteStoreStats,
  after: RemoteStoreStats,
  blocks: number,
): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [kind, n] of Object.entries(after.requests)) {
    const d = n - (before.requests[kind] ?? 0)
    if (d > 0) out[kind] = Math.round((d / blocks) * 100) / 100
  }
  return out
}

/** `{ get: 1, head: 0.5 }` as `get=1 head=0.5`. */
export function formatRequests(r: Record<string, number>): string {
  return (
    Object.entries(r)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ') || 'none'
  )
}

/**
 * CPU seconds per thread from /proc (Linux only; empty elsewhere): which of the main
 * thread, libuv's pool (file I/O, syncs) and the hashing workers a phase kept busy.
 */
export function threadCpu(): Map<string, number> {
  const out = new Map<string, number>()
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
      // libuv's pool threads and workers share the process name: told apart by thread ID.
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const name = tid === String(process.pid) ? 'main' : `${comm}/${tid}`
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      // utime and stime: fields 14 and 15 of stat, in clock ticks (100 a second).
      const secs = (Number(fields[11]) + Number(fields[12])) / 100
      out.set(name, (out.get(name) ?? 0) + secs)
    }
  } catch {
    // No /proc: the breakdown is left out.
  }
  return out
}

/** The CPU seconds each thread spent between two {@link threadCpu} readings, largest first. */
export function formatThreadCpu(before: Map<string, number>, after: Map<string, number>): string {
  return [...after]
    .map(([name, secs]) => [name, secs - (before.get(name) ?? 0)] as const)
    .filter(([, secs]) => secs >= 0.01)
    .sort((a, b) => b[1] - a[1])
    .map(([n, secs]) => `${n} ${secs.toFixed(2)} s`)
    .join(', ')
}

/** CPU seconds of every core (busy: user, nice, system, irq, softirq, steal) from /proc/stat. */
export interface MachineCpu {
  readonly busy: number
  readonly all: number
}

/** The machine's CPU counters now (zeros without /proc). */
export function machineCpu(): MachineCpu {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/) ?? []
    const n = fields.slice(1).map(Number)
    const at = (i: number): number => n[i] ?? 0
    // user nice system idle iowait irq softirq steal (clock ticks, 100 a second)
    const busy = at(0) + at(1) + at(2) + at(5) + at(6) + at(7)
    return { busy: busy / 100, all: n.reduce((a, b) => a + b, 0) / 100 }
  } catch {
    return { busy: 0, all: 0 }
  }
}

/** CPU seconds used so far by the processes whose name matches `name` (e.g. the S3 server's). */
export function processesCpu(name: RegExp): number {
  let secs = 0
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue
      try {
        if (!name.test(readFileSync(`/proc/${pid}/comm`, 'utf8').trim())) continue
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        secs += (Number(fields[11]) + Number(fields[12])) / 100
      } catch {
        // Exited meanwhile.
      }
    }
  } catch {
    // No /proc.
  }
  return secs
}

/**
 * One line on where the machine's CPU went between two readings: how busy all cores were, and
 * CPU seconds per GiB of the whole machine and of the storage server's processes (on one VM
 * the server and the engine share the cores, so CPU the engine spends is throughput lost).
 */
export function formatMachineCpu(
  before: { machine: MachineCpu; server: number },
  after: { machine: MachineCpu; server: number },
  bytes: number,
): string {
  const gib = bytes / GiB
  const busy = after.machine.busy - before.machine.busy
  const all = after.machine.all - before.machine.all
  const share = all > 0 ? (busy / all) * 100 : 0
  return `machine busy ${share.toFixed(0)} % of all cores, ${(busy / gib).toFixed(2)} CPU s/GiB; server processes ${((after.server - before.server) / gib).toFixed(2)} CPU s/GiB`
}
