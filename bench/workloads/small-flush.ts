/**
 * Small durable writes: N payloads, each one 4 KiB `writeAt` then `flush`, one at a time and 16
 * concurrent, through the whole engine on its embedded defaults (fs local tier, SQLite
 * metadata, no remote). Baseline in the same run, alternating: a 4 KiB file written and
 * fsynced with the same concurrency (`open`, `write`, `fsync`, `close`), the cheapest durable
 * small write a program can make on this file system. Beside them, the engine with packs off
 * (every block in its own file), to show what packs change. Then the same for overwrites: N
 * payloads that exist (flushed, untimed) each rewritten (4 KiB at offset 0) and flushed,
 * against rewriting an existing 4 KiB file in place + fsync: with packs a small block's copy
 * is a record in a pack, which is never written, so an overwrite has its own path.
 */
import { randomFillSync } from 'node:crypto'
import { mkdir, open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { openBlockStore } from '../../src/engine/index.js'
import { type Comparison, median, type Workload } from '../harness.js'

const SMALL = 4096

async function runConcurrent(n: number, inFlight: number, op: (i: number) => Promise<void>) {
  let next = 0
  const worker = async (): Promise<void> => {
    for (let i = next++; i < n; i = next++) await op(i)
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
}

interface Run {
  readonly opsPerS: number
  readonly cpuMsPerOp: number
}

async function timed(n: number, fn: () => Promise<void>): Promise<Run> {
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await fn()
  const s = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  return { opsPerS: n / s, cpuMsPerOp: (cpu.user + cpu.system) / 1000 / n }
}

/** New payloads, or existing ones (created first, untimed) rewritten. */
type Kind = 'new' | 'overwrite'

async function ours(
  dir: string,
  n: number,
  inFlight: number,
  data: Uint8Array,
  kind: Kind,
  packs = true,
): Promise<Run> {
  const store = await openBlockStore({
    local: { kind: 'fs', dir: join(dir, 'local'), maxDisk: 0, packs },
    metadata: { kind: 'sqlite', path: join(dir, 'meta.db') },
  })
  const writeAndFlush = async (i: number): Promise<void> => {
    await store.writeAt(`p${i}`, data, 0)
    await store.flush(`p${i}`)
  }
  try {
    if (kind === 'overwrite') await runConcurrent(n, inFlight, writeAndFlush)
    return await timed(n, () => runConcurrent(n, inFlight, writeAndFlush))
  } finally {
    await store.close()
  }
}

async function raw(
  dir: string,
  n: number,
  inFlight: number,
  data: Uint8Array,
  kind: Kind,
): Promise<Run> {
  await mkdir(dir, { recursive: true })
  const writeAndSync = async (i: number, flags: string): Promise<void> => {
    const fh = await open(join(dir, `f${i}`), flags)
    try {
      await fh.write(data, 0, data.length, 0)
      await fh.sync()
    } finally {
      await fh.close()
    }
  }
  if (kind === 'overwrite') await runConcurrent(n, inFlight, (i) => writeAndSync(i, 'w'))
  // An overwrite rewrites the file in place ('r+'): no new inode, no directory entry.
  const flags = kind === 'overwrite' ? 'r+' : 'w'
  return timed(n, () => runConcurrent(n, inFlight, (i) => writeAndSync(i, flags)))
}

const workload: Workload = {
  name: 'small-flush',
  description: '4 KiB writeAt + flush per payload (1 and 16 in flight) vs 4 KiB file write + fsync',
  async run(ctx) {
    const n = ctx.quick ? 300 : 2000
    const reps = Math.max(3, ctx.repetitions)
    const data = randomFillSync(new Uint8Array(SMALL))
    const out: Comparison[] = []
    for (const [kind, inFlight, goal] of [
      ['new', 1, 0.5],
      ['new', 16, 1],
      ['overwrite', 1, undefined],
      ['overwrite', 16, undefined],
    ] as const) {
      const mine: Run[] = []
      const base: Run[] = []
      // The same engine keeping every block in its own file: what packs replaced.
      const files: Run[] = []
      // Warm-up of both, then alternate so a swing of the machine hits both sides alike.
      await ours(join(ctx.scratchDir, 'warm-o'), 50, inFlight, data, kind)
      await raw(join(ctx.scratchDir, 'warm-r'), 50, inFlight, data, kind)
      for (let r = 0; r < reps; r++) {
        const d = join(ctx.scratchDir, `r${kind}${inFlight}-${r}`)
        mine.push(await ours(join(d, 'o'), n, inFlight, data, kind))
        base.push(await raw(join(d, 'r'), n, inFlight, data, kind))
        files.push(await ours(join(d, 'f'), n, inFlight, data, kind, false))
        await rm(d, { recursive: true, force: true })
        ctx.log(
          `  ${kind}, ${inFlight} in flight, run ${r + 1}: ours ${mine.at(-1)?.opsPerS.toFixed(0)} ops/s, raw ${base.at(-1)?.opsPerS.toFixed(0)} ops/s, block files (packs off) ${files.at(-1)?.opsPerS.toFixed(0)} ops/s`,
        )
      }
      const overwrite = kind === 'overwrite'
      out.push({
        name: overwrite
          ? `${n} existing payloads x (4 KiB writeAt at 0 + flush), ${inFlight} in flight`
          : `${n} x (4 KiB writeAt + flush), ${inFlight} in flight`,
        unit: 'ops/s',
        higherIsBetter: true,
        value: median(mine.map((m) => m.opsPerS)),
        baselineName: overwrite
          ? '4 KiB file rewritten in place + fsync, same concurrency'
          : '4 KiB file write + fsync, same concurrency',
        baseline: median(base.map((b) => b.opsPerS)),
        ...(goal === undefined ? {} : { goal }),
        notes: {
          'ours CPU ms/op': median(mine.map((m) => m.cpuMsPerOp)),
          'raw CPU ms/op': median(base.map((b) => b.cpuMsPerOp)),
          'block files (packs off) ops/s': median(files.map((f) => f.opsPerS)),
          'block files (packs off) CPU ms/op': median(files.map((f) => f.cpuMsPerOp)),
        },
      })
    }
    return out
  },
}

export default workload
