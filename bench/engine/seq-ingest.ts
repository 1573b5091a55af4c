/**
 * Sequential write + flush of `blocks` blocks through the engine (fs local, fs remote, SQLite)
 * against raw fs writes of the same bytes with one fsync per 8 MiB file, alternating, after
 * one warm-up run of each; CPU seconds per GiB beside each, and the engine's peak RSS against
 * its dirty-memory budget.
 */
import { mkdir, open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { BlockSize } from '../../src/core/constants.js'
import { openBlockStore } from '../../src/engine/index.js'
import type { BenchContext, Comparison } from '../harness.js'
import { alternate, summarise, type Timed, timed } from './measure.js'

const MiB = 1024 * 1024
/** Dirty-memory budget of the engine under test: explicit, so the RSS figure means something. */
const DIRTY_BUDGET = 256 * MiB

/**
 * Block `b`'s bytes written into one reused buffer: a fresh 8 MiB copy per block (the shared
 * `blockBytes` helper) started a full garbage collection about every sixth block on both sides
 * and was counted in both figures.
 */
function stamp(buf: Uint8Array, b: number): Uint8Array {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  view.setFloat64(0, b)
  view.setFloat64(BlockSize - 8, b + 0.5)
  return buf
}

async function engineRun(
  dir: string,
  blocks: number,
  seed: Uint8Array,
  rss: { peak: number },
): Promise<Timed> {
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  const engine = await openBlockStore({
    local: {
      kind: 'fs',
      dir: join(dir, 'local'),
      maxDisk: 0,
      maxMemory: DIRTY_BUDGET,
    },
    remote: { kind: 'fs', dir: join(dir, 'remote') },
    metadata: { kind: 'sqlite', path: join(dir, 'meta.db') },
    syncer: { parallelUploads: 8, parallelFetches: 8, uploadIntervalMs: 3_600_000 },
  })
  const buf = seed.slice()
  const sampler = setInterval(() => {
    rss.peak = Math.max(rss.peak, process.memoryUsage.rss())
  }, 5)
  try {
    return await timed(async () => {
      for (let b = 0; b < blocks; b++) {
        const data = stamp(buf, b)
        for (let at = 0; at < BlockSize; at += MiB) {
          await engine.writeAt('bench/seq', data.subarray(at, at + MiB), b * BlockSize + at)
        }
      }
      await engine.flush('bench/seq')
    })
  } finally {
    clearInterval(sampler)
    rss.peak = Math.max(rss.peak, process.memoryUsage.rss())
    await engine.close()
    await rm(dir, { recursive: true, force: true })
  }
}

async function rawRun(dir: string, blocks: number, seed: Uint8Array): Promise<Timed> {
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  const buf = seed.slice()
  try {
    return await timed(async () => {
      for (let b = 0; b < blocks; b++) {
        const data = stamp(buf, b)
        const fh = await open(join(dir, `${b}.blk`), 'w')
        for (let at = 0; at < BlockSize; at += MiB) await fh.write(data, at, MiB, at)
        await fh.sync()
        await fh.close()
      }
    })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** The sequential ingest figure and the peak-RSS figure. */
export async function sequentialIngest(
  ctx: BenchContext,
  blocks: number,
  seed: Uint8Array,
): Promise<Comparison[]> {
  const engineDir = join(ctx.scratchDir, 'ingest')
  const rawDir = join(ctx.scratchDir, 'raw-fs')
  const bytes = blocks * BlockSize
  const rss = { peak: 0 }
  // Warm-up: the first run of either side pays for cold code, allocations and write-back of
  // whatever ran before, and one swing must not decide the figure.
  await engineRun(engineDir, blocks, seed, { peak: 0 })
  await rawRun(rawDir, blocks, seed)
  const rssBefore = process.memoryUsage.rss()
  const runs = await alternate(
    Math.max(3, ctx.repetitions),
    () => engineRun(engineDir, blocks, seed, rss),
    () => rawRun(rawDir, blocks, seed),
  )
  const ours = summarise(runs.ours, bytes)
  const raw = summarise(runs.raw, bytes)
  ctx.log(
    `ingest: engine ${ours.runs.join('/')} MiB/s (${ours.cpuPerGiB.toFixed(2)} CPU s/GiB), raw ${raw.runs.join('/')} MiB/s (${raw.cpuPerGiB.toFixed(2)} CPU s/GiB), peak RSS ${(rss.peak / MiB).toFixed(0)} MiB`,
  )
  return [
    {
      name: `sequential write ${bytes / MiB} MiB + flush (fs local + fs remote + SQLite)`,
      unit: 'MiB/s',
      higherIsBetter: true,
      value: ours.mibps,
      baselineName: 'raw fs writes, one fsync per 8 MiB file',
      baseline: raw.mibps,
      goal: 0.9,
      notes: {
        oursCpuSPerGiB: ours.cpuPerGiB,
        rawCpuSPerGiB: raw.cpuPerGiB,
        oursRuns: ours.runs.join('/'),
        rawRuns: raw.runs.join('/'),
      },
    },
    {
      name: `peak RSS during the ${bytes / MiB} MiB sequential ingest`,
      unit: 'MiB',
      higherIsBetter: false,
      value: rss.peak / MiB,
      baselineName: `2 x the dirty-memory budget (${DIRTY_BUDGET / MiB} MiB)`,
      baseline: (2 * DIRTY_BUDGET) / MiB,
      goal: 1,
      notes: { rssBeforeMiB: rssBefore / MiB },
    },
  ]
}
