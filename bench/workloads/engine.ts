/**
 * Engine end to end: sequential ingest vs raw fs, upload drain and cold sequential read vs raw
 * S3 calls (same client, same concurrency), random 4 KiB cold-read amplification, dedup
 * ratio, event-loop delay during ingest vs idle, and 4 KiB payloads made durable one flush
 * each vs batch flushes (flushMany, flushAll). 1 GiB (64 MiB under --quick).
 */
import { readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { BlockSize } from '../../src/core/constants.js'
import { openTestEngine } from '../../test/support/engine-fixture.js'
import { benchEngine } from '../../test/support/engine-presets.js'
import { blockBytes, seedBlock, writePayload } from '../engine/payloads.js'
import { drainAndColdRead } from '../engine/s3-figures.js'
import { startS3Target } from '../engine/s3-target.js'
import { sequentialIngest } from '../engine/seq-ingest.js'
import { smallFlushFigures } from '../engine/small-flush.js'
import type { BenchContext, Comparison, Workload } from '../harness.js'

const MiB = 1024 * 1024

async function s3Figures(
  ctx: BenchContext,
  blocks: number,
  seed: Uint8Array,
): Promise<Comparison[]> {
  const target = await startS3Target()
  const out: Comparison[] = []
  try {
    const conn = await target.open()
    const { store, client } = conn
    const bytes = blocks * BlockSize
    const measured = await drainAndColdRead(ctx, target, conn, blocks, seed)
    out.push(...measured.comparisons)
    const { bench } = measured
    const { engine } = bench
    // Random 4 KiB cold reads: bytes fetched per byte read.
    await engine.evict()
    const before = (await engine.stats()).bytesDownloaded
    const reads = 256
    const small = new Uint8Array(4096)
    let x = 12345
    for (let i = 0; i < reads; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0
      await engine.readAt('bench/s3/0', small, (x % (bytes / 4096)) * 4096)
    }
    const fetched = (await engine.stats()).bytesDownloaded - before
    ctx.log(`random 4 KiB: ${(fetched / (reads * 4096)).toFixed(2)} bytes fetched per byte read`)
    out.push({
      name: `random 4 KiB cold reads x${reads}: bytes fetched per byte read`,
      unit: 'bytes/byte',
      higherIsBetter: false,
      value: fetched / (reads * 4096),
      baselineName: 'ideal (1)',
      baseline: 1,
      goal: 0.5,
    })
    await bench.close()
    await store.deleteByPrefix('')
    await store.close()
    client.destroy()
  } finally {
    await target.stop()
  }
  return out
}

async function dedupRatio(ctx: BenchContext, seed: Uint8Array): Promise<Comparison> {
  const dir = join(ctx.scratchDir, 'dedup')
  const bench = await openTestEngine(benchEngine(dir, undefined))
  const { engine } = bench
  const files = ctx.quick ? 4 : 16
  const blocksPerFile = 2
  for (let f = 0; f < files; f++) {
    // Every distinct file appears twice: files 2k and 2k+1 are identical.
    const content = Math.floor(f / 2)
    for (let b = 0; b < blocksPerFile; b++) {
      await engine.writeAt(
        `bench/dup/${f}`,
        blockBytes(content * blocksPerFile + b, seed),
        b * BlockSize,
      )
    }
    await engine.flush(`bench/dup/${f}`)
  }
  const report = await engine.drainAllUploads()
  const logical = files * blocksPerFile * BlockSize
  await bench.close()
  const stored = await duBytes(join(dir, 'remote'))
  await rm(dir, { recursive: true, force: true })
  ctx.log(
    `dedup: stored ${stored / MiB} MiB of ${logical / MiB} MiB (uploaded ${report.bytesUploaded / MiB} MiB)`,
  )
  return {
    name: `dedup ingest of ${files} files (each distinct file twice): stored / logical bytes`,
    unit: 'ratio',
    higherIsBetter: false,
    value: stored / logical,
    baselineName: 'no dedup (1.0)',
    baseline: 1,
    notes: {
      deduplicated: report.deduplicated,
      uploaded: report.uploaded,
      uploadedMiB: report.bytesUploaded / MiB,
    },
  }
}

/** Bytes of the files under `dir` (the fs remote's stored objects). */
async function duBytes(dir: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size
  }
  return total
}

async function loopDelay(ctx: BenchContext, blocks: number, seed: Uint8Array): Promise<Comparison> {
  const idle = monitorEventLoopDelay({ resolution: 1 })
  idle.enable()
  await new Promise((r) => setTimeout(r, 2000))
  idle.disable()
  const dir = join(ctx.scratchDir, 'loop')
  const bench = await openTestEngine(benchEngine(dir, undefined))
  const { engine } = bench
  const busy = monitorEventLoopDelay({ resolution: 1 })
  busy.enable()
  await writePayload(engine, 'bench/loop', blocks, seed)
  await engine.flush('bench/loop')
  await engine.drainAllUploads()
  busy.disable()
  await bench.close()
  await rm(dir, { recursive: true, force: true })
  const p99 = busy.percentile(99) / 1e6
  const idleP99 = idle.percentile(99) / 1e6
  ctx.log(`event-loop delay p99: ingest ${p99.toFixed(1)} ms, idle ${idleP99.toFixed(1)} ms`)
  return {
    name: `event-loop delay p99 during ${(blocks * BlockSize) / MiB} MiB ingest (write + flush + drain with hashing)`,
    unit: 'ms',
    higherIsBetter: false,
    value: p99,
    baselineName: 'idle process',
    baseline: idleP99,
    notes: { maxMs: busy.max / 1e6 },
  }
}

const workload: Workload = {
  name: 'engine',
  description: 'engine ingest, upload drain, cold reads, read amplification, dedup, loop delay',
  async run(ctx): Promise<Comparison[]> {
    const blocks = (ctx.quick ? 64 : 1024) / 8
    const seed = seedBlock()
    const out: Comparison[] = []
    out.push(...(await sequentialIngest(ctx, blocks, seed)))
    out.push(...(await s3Figures(ctx, blocks, seed)))
    out.push(await dedupRatio(ctx, seed))
    out.push(await loopDelay(ctx, blocks, seed))
    out.push(...(await smallFlushFigures(ctx)))
    return out
  },
}
export default workload
