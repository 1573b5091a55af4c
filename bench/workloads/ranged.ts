/**
 * Random cold reads against the real S3 server (Ceph RGW when installed, else s3rver): whole
 * verified blocks (`rangedReadThreshold: 0`) against verified ranged reads (the default),
 * for 4 KiB and 64 KiB reads. Per mode: bytes fetched per byte read, remote GETs per read and
 * reads per second, over one cold pass of random aligned reads across the payload (each read
 * a fresh 4 KiB leaf; blocks and groups are met again as a real random reader meets them).
 * The raw baseline is the same number of ranged GETs of exactly the bytes read, one at a
 * time, with the same client: what an unverified reader would pay.
 */

import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { GetObjectCommand } from '@aws-sdk/client-s3'
import { BlockSize } from '../../src/core/constants.js'
import { openTestEngine } from '../../test/support/engine-fixture.js'
import { benchEngine } from '../../test/support/engine-presets.js'
import { blockBytes, seedBlock, writePayload } from '../engine/payloads.js'
import { startS3Target } from '../engine/s3-target.js'
import type { BenchContext, Comparison, Workload } from '../harness.js'

/** Distinct random aligned offsets, never 0 and never right after another (all random). */
function offsets(bytes: number, size: number, wanted: number, seed: number): number[] {
  let x = seed
  const slots = bytes / size
  // Non-adjacent picks: at most a third of the slots can be had quickly.
  const count = Math.min(wanted, Math.floor(slots / 3))
  const picked = new Set<number>()
  while (picked.size < count) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    const slot = 1 + (x % (slots - 1))
    if (!picked.has(slot - 1) && !picked.has(slot + 1)) picked.add(slot)
  }
  return [...picked].map((s) => s * size)
}

interface ModeFigures {
  bytesPerByte: number
  getsPerRead: number
  readsPerSecond: number
  p50Ms: number
  /** A second pass over the same offsets (index records known; ranges are never cached). */
  steadyGetsPerRead: number
  steadyP50Ms: number
}

async function measure(
  ctx: BenchContext,
  blocks: number,
  size: number,
  threshold: number,
  seed: Uint8Array,
): Promise<ModeFigures> {
  const target = await startS3Target()
  try {
    const { store, client } = await target.open()
    const dir = join(ctx.scratchDir, `ranged-${threshold}-${size}`)
    const bench = await openTestEngine(
      benchEngine(dir, store, {
        prefetchWorkers: 0,
        readBufferBytes: 0,
        rangedReadThreshold: threshold,
      }),
    )
    const { engine } = bench
    await writePayload(engine, 'bench/rnd', blocks, seed)
    await engine.flush('bench/rnd')
    await engine.drainAllUploads()
    await engine.evict()
    const bytes = blocks * BlockSize
    const list = offsets(bytes, size, ctx.quick ? 128 : 512, 4242 + size)
    const before = store.stats()
    const dest = new Uint8Array(size)
    const latencies: number[] = []
    const t0 = performance.now()
    for (const at of list) {
      const t = performance.now()
      await engine.readAt('bench/rnd', dest, at)
      latencies.push(performance.now() - t)
      const b = Math.floor(at / BlockSize)
      const expected = blockBytes(b, seed).subarray(at - b * BlockSize, at - b * BlockSize + size)
      if (!Buffer.from(dest).equals(Buffer.from(expected))) throw new Error(`wrong bytes at ${at}`)
    }
    const ms = performance.now() - t0
    const after = store.stats()
    latencies.sort((a, b) => a - b)
    const steady: number[] = []
    for (const at of list) {
      const t = performance.now()
      await engine.readAt('bench/rnd', dest, at)
      steady.push(performance.now() - t)
    }
    steady.sort((a, b) => a - b)
    const again = store.stats()
    await bench.close()
    await store.deleteByPrefix('')
    await store.close()
    client.destroy()
    await rm(dir, { recursive: true, force: true })
    const read = list.length * size
    return {
      bytesPerByte: (after.bytesDownloaded - before.bytesDownloaded) / read,
      getsPerRead: ((after.requests.get ?? 0) - (before.requests.get ?? 0)) / list.length,
      readsPerSecond: list.length / (ms / 1000),
      p50Ms: latencies[latencies.length >> 1] ?? 0,
      steadyGetsPerRead: ((again.requests.get ?? 0) - (after.requests.get ?? 0)) / list.length,
      steadyP50Ms: steady[steady.length >> 1] ?? 0,
    }
  } finally {
    await target.stop()
  }
}

/** Raw ranged GETs of exactly `size` bytes, one at a time: reads per second and p50. */
async function raw(ctx: BenchContext, size: number): Promise<{ rate: number; p50Ms: number }> {
  const target = await startS3Target()
  try {
    const { store, client } = await target.open()
    await store.writeBlock('raw/obj', blockBytes(0, seedBlock()))
    const list = offsets(BlockSize, size, ctx.quick ? 128 : 512, 99 + size)
    const n = list.length
    const latencies: number[] = []
    const t0 = performance.now()
    for (const at of list) {
      const t = performance.now()
      const res = await client.send(
        new GetObjectCommand({
          Bucket: target.bucket,
          Key: 'raw/obj',
          Range: `bytes=${at}-${at + size - 1}`,
        }),
      )
      await res.Body?.transformToByteArray()
      latencies.push(performance.now() - t)
    }
    const ms = performance.now() - t0
    latencies.sort((a, b) => a - b)
    await store.deleteByPrefix('')
    await store.close()
    client.destroy()
    return { rate: n / (ms / 1000), p50Ms: latencies[n >> 1] ?? 0 }
  } finally {
    await target.stop()
  }
}

const workload: Workload = {
  name: 'ranged',
  description: 'random cold reads: whole verified blocks vs verified ranged reads (S3)',
  async run(ctx): Promise<Comparison[]> {
    const blocks = ctx.quick ? 8 : 32
    const seed = seedBlock()
    const out: Comparison[] = []
    for (const size of [4096, 65_536]) {
      const whole = await measure(ctx, blocks, size, 0, seed)
      const ranged = await measure(ctx, blocks, size, 128 * 1024, seed)
      const base = await raw(ctx, size)
      const label = `${size / 1024} KiB`
      for (const [mode, f] of [
        ['whole blocks', whole],
        ['verified ranges', ranged],
      ] as const) {
        ctx.log(
          `random ${label} cold reads, ${mode}: ${f.bytesPerByte.toFixed(2)} bytes/byte, ` +
            `${f.getsPerRead.toFixed(2)} GETs/read, ${f.readsPerSecond.toFixed(0)} reads/s, ` +
            `p50 ${f.p50Ms.toFixed(1)} ms; again: ${f.steadyGetsPerRead.toFixed(2)} GETs/read, ` +
            `p50 ${f.steadyP50Ms.toFixed(1)} ms`,
        )
      }
      ctx.log(`raw ${label} ranged GET: ${base.rate.toFixed(0)}/s, p50 ${base.p50Ms.toFixed(1)} ms`)
      const notes = (f: ModeFigures) => ({
        getsPerRead: Number(f.getsPerRead.toFixed(3)),
        readsPerSecond: Number(f.readsPerSecond.toFixed(1)),
        p50Ms: Number(f.p50Ms.toFixed(2)),
        againGetsPerRead: Number(f.steadyGetsPerRead.toFixed(3)),
        againP50Ms: Number(f.steadyP50Ms.toFixed(2)),
      })
      out.push({
        name: `random ${label} cold reads, verified ranges: bytes fetched per byte read`,
        unit: 'bytes/byte',
        higherIsBetter: false,
        value: ranged.bytesPerByte,
        baselineName: `whole verified blocks (${whole.bytesPerByte.toFixed(1)})`,
        baseline: whole.bytesPerByte,
        notes: { ...notes(ranged), wholeGetsPerRead: whole.getsPerRead },
      })
      out.push({
        name: `random ${label} cold reads, verified ranges: reads/s`,
        unit: 'reads/s',
        higherIsBetter: true,
        value: ranged.readsPerSecond,
        baselineName: 'raw ranged GET of the bytes read, unverified',
        baseline: base.rate,
        notes: { wholeBlockReadsPerSecond: Number(whole.readsPerSecond.toFixed(1)) },
      })
    }
    return out
  },
}
export default workload
