/**
 * The local tier: sequential 1 GiB write + flush through FsLocalStore against raw fs writes of
 * the same bytes (one fsync per 8 MiB file, the store's own layout), random 4 KiB write and
 * read IOPS against raw pwrite/pread, and peak RSS during the big write against the dirty
 * memory budget.
 */
import { mkdir, open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { BlockSize } from '../../src/core/constants.js'
import { FsLocalStore } from '../../src/local/fs/fs-local-store.js'
import { MemoryMetadataStore } from '../../src/meta/memory/memory-metadata-store.js'
import {
  type BenchContext,
  type Comparison,
  median,
  medianOf,
  mibPerSecond,
  trackPeakRss,
  type Workload,
} from '../harness.js'

const MiB = 1024 * 1024
const CHUNK = MiB
const IO = 4096

function chunk(): Uint8Array {
  const data = new Uint8Array(CHUNK)
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24
  return data
}

async function withStore<T>(
  ctx: BenchContext,
  run: (s: FsLocalStore) => Promise<T>,
  maxMemory?: number,
): Promise<T> {
  const dir = join(ctx.scratchDir, `store-${Math.random().toString(36).slice(2)}`)
  const metadata = await MemoryMetadataStore.open()
  const store = await FsLocalStore.open({ dir, metadata, maxMemory })
  try {
    return await run(store)
  } finally {
    await store.close()
    await metadata.close()
    await rm(dir, { recursive: true, force: true })
  }
}

/** Sequential write of `total` bytes then flush; MiB/s and the peak RSS seen. */
async function storeSequential(ctx: BenchContext, total: number, budget: number) {
  const data = chunk()
  return withStore(
    ctx,
    async (store) => {
      const before = process.memoryUsage.rss()
      const rss = trackPeakRss(10)
      const t0 = performance.now()
      for (let off = 0; off < total; off += CHUNK) await store.writeAt('seq', data, off)
      await store.flush('seq')
      const ms = performance.now() - t0
      return { rate: mibPerSecond(total, ms), peak: rss.stop(), before }
    },
    budget,
  )
}

/** The same bytes with raw writes, one file per block, one fsync per file. */
async function rawSequential(ctx: BenchContext, total: number): Promise<number> {
  const data = chunk()
  const dir = join(ctx.scratchDir, 'raw-seq')
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  const t0 = performance.now()
  for (let base = 0; base < total; base += BlockSize) {
    const fh = await open(join(dir, `${base / BlockSize}.blk`), 'w')
    for (let off = 0; off < Math.min(BlockSize, total - base); off += CHUNK) {
      await fh.write(data, 0, CHUNK, off)
    }
    await fh.sync()
    await fh.close()
  }
  const rate = mibPerSecond(total, performance.now() - t0)
  await rm(dir, { recursive: true, force: true })
  return rate
}

function offsets(n: number, span: number): number[] {
  let seed = 12345
  return Array.from({ length: n }, () => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return (seed % (span / IO)) * IO
  })
}

/** Random 4 KiB writes then reads in a flushed payload of `span` bytes; ops/s of each. */
async function storeRandom(ctx: BenchContext, span: number, ops: number) {
  return withStore(ctx, async (store) => {
    const data = chunk()
    for (let off = 0; off < span; off += CHUNK) await store.writeAt('rnd', data, off)
    await store.flush('rnd')
    const io = data.subarray(0, IO)
    const at = offsets(ops, span)
    let t0 = performance.now()
    for (const off of at) await store.writeAt('rnd', io, off)
    const writes = ops / ((performance.now() - t0) / 1000)
    await store.flush('rnd')
    const dest = new Uint8Array(IO)
    t0 = performance.now()
    for (const off of at) await store.readAt('rnd', dest, off)
    const reads = ops / ((performance.now() - t0) / 1000)
    return { writes, reads }
  })
}

async function rawRandom(ctx: BenchContext, span: number, ops: number) {
  const path = join(ctx.scratchDir, 'raw-rnd')
  const fh = await open(path, 'w+')
  try {
    const data = chunk()
    for (let off = 0; off < span; off += CHUNK) await fh.write(data, 0, CHUNK, off)
    await fh.sync()
    const at = offsets(ops, span)
    let t0 = performance.now()
    for (const off of at) await fh.write(data, 0, IO, off)
    const writes = ops / ((performance.now() - t0) / 1000)
    await fh.sync()
    const dest = new Uint8Array(IO)
    t0 = performance.now()
    for (const off of at) await fh.read(dest, 0, IO, off)
    const reads = ops / ((performance.now() - t0) / 1000)
    return { writes, reads }
  } finally {
    await fh.close()
    await rm(path, { force: true })
  }
}

const workload: Workload = {
  name: 'local',
  description: 'FsLocalStore sequential/random I/O vs raw fs, peak RSS vs dirty budget',
  async run(ctx): Promise<Comparison[]> {
    const total = ctx.quick ? 64 * MiB : 1024 * MiB
    const budget = ctx.quick ? 32 * MiB : 128 * MiB
    const span = ctx.quick ? 16 * MiB : 256 * MiB
    const ops = ctx.quick ? 2000 : 20000
    let peak = 0
    let before = 0
    const seq = await medianOf(ctx.repetitions, async () => {
      const r = await storeSequential(ctx, total, budget)
      if (r.peak > peak) before = r.before
      peak = Math.max(peak, r.peak)
      return r.rate
    })
    const rawSeq = await medianOf(ctx.repetitions, () => rawSequential(ctx, total))
    const rnd = { writes: [] as number[], reads: [] as number[] }
    const raw = { writes: [] as number[], reads: [] as number[] }
    for (let i = 0; i < ctx.repetitions; i++) {
      const s = await storeRandom(ctx, span, ops)
      const r = await rawRandom(ctx, span, ops)
      rnd.writes.push(s.writes)
      rnd.reads.push(s.reads)
      raw.writes.push(r.writes)
      raw.reads.push(r.reads)
    }
    ctx.log(
      `seq ${seq.toFixed(0)} MiB/s vs raw ${rawSeq.toFixed(0)} MiB/s, peak RSS ${(peak / MiB).toFixed(0)} MiB`,
    )
    return [
      {
        name: `sequential write ${total / MiB} MiB + flush`,
        unit: 'MiB/s',
        higherIsBetter: true,
        value: seq,
        baselineName: 'raw fs.write, one fsync per 8 MiB file',
        baseline: rawSeq,
        goal: 0.8,
      },
      {
        name: 'random 4 KiB writes',
        unit: 'ops/s',
        higherIsBetter: true,
        value: median(rnd.writes),
        baselineName: 'raw pwrite on one file',
        baseline: median(raw.writes),
      },
      {
        name: 'random 4 KiB reads',
        unit: 'ops/s',
        higherIsBetter: true,
        value: median(rnd.reads),
        baselineName: 'raw pread on one file',
        baseline: median(raw.reads),
      },
      {
        name: `peak RSS during the ${total / MiB} MiB write`,
        unit: 'MiB',
        higherIsBetter: false,
        value: peak / MiB,
        baselineName: '2x the dirty-memory budget',
        baseline: (2 * budget) / MiB,
        goal: 1,
        notes: { budgetMiB: budget / MiB, rssBeforeMiB: Math.round(before / MiB) },
      },
    ]
  },
}
export default workload
