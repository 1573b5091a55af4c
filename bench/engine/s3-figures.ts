/**
 * Engine against the real S3 server: upload drain and cold sequential read, each against raw
 * SDK calls on the same client with the same concurrency, alternating runs after a warm-up,
 * medians, CPU seconds per GiB and requests per block beside each figure.
 */
import { join } from 'node:path'
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { BlockSize } from '../../src/core/constants.js'
import { forEachBounded } from '../../src/core/for-each-bounded.js'
import type { S3RemoteStore } from '../../src/remote/s3/s3-remote-store.js'
import { openTestEngine, type TestEngine } from '../../test/support/engine-fixture.js'
import { benchEngine } from '../../test/support/engine-presets.js'
import type { BenchContext, Comparison } from '../harness.js'
import {
  alternate,
  formatRequests,
  requestsPerBlock,
  type Summary,
  summarise,
  timed,
} from './measure.js'
import { blockBytes, writePayload } from './payloads.js'
import type { S3Target } from './s3-target.js'

const MiB = 1024 * 1024
const IN_FLIGHT = 8

/** Distinct bodies the raw PUTs cycle through (built once, outside any timing). */
function rawBodies(seed: Uint8Array): Uint8Array[] {
  return Array.from({ length: IN_FLIGHT }, (_, i) => blockBytes(1_000_000 + i, seed))
}

/** A few raw PUTs and GETs so the first measured run does not pay the server's warm-up. */
async function warmUp(client: S3Client, bucket: string, bodies: Uint8Array[]): Promise<void> {
  for (let round = 0; round < 2; round++) {
    await forEachBounded(bodies, IN_FLIGHT, async (body, i) => {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: `warm/${i}`, Body: body }))
      const o = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `warm/${i}` }))
      await o.Body?.transformToByteArray()
    })
  }
}

function notes(ours: Summary, raw: Summary, extra: Record<string, string | number>) {
  return {
    cpuSecPerGiB: Number(ours.cpuPerGiB.toFixed(2)),
    rawCpuSecPerGiB: Number(raw.cpuPerGiB.toFixed(2)),
    cpuRatio: Number((ours.cpuPerGiB / raw.cpuPerGiB).toFixed(2)),
    runs: ours.runs.join('/'),
    rawRuns: raw.runs.join('/'),
    ...extra,
  }
}

/** Drain and cold-read comparisons; leaves every payload uploaded (payload `bench/s3/{rep}`). */
export async function drainAndColdRead(
  ctx: BenchContext,
  target: S3Target,
  conn: { store: S3RemoteStore; client: S3Client },
  blocks: number,
  seed: Uint8Array,
): Promise<{ comparisons: Comparison[]; bench: TestEngine }> {
  const { store, client } = conn
  const bucket = target.bucket
  const bytes = blocks * BlockSize
  const bodies = rawBodies(seed)
  const indexes = Array.from({ length: blocks }, (_, i) => i)
  await warmUp(client, bucket, bodies)
  const dir = join(ctx.scratchDir, 's3-engine')
  const bench = await openTestEngine(benchEngine(dir, store))
  const drainRequests: string[] = []
  const drain = await alternate(
    ctx.repetitions,
    async (rep) => {
      const pid = `bench/s3/${rep}`
      await writePayload(bench.engine, pid, blocks, seed, rep * blocks)
      await bench.engine.flush(pid)
      const before = store.stats()
      let failed = 0
      const t = await timed(async () => {
        failed = (await bench.engine.drainAllUploads()).failed.length
      })
      if (failed > 0) throw new Error(`drain failed for ${failed} blocks`)
      drainRequests.push(formatRequests(requestsPerBlock(before, store.stats(), blocks)))
      return t
    },
    (rep) =>
      timed(() =>
        forEachBounded(indexes, IN_FLIGHT, async (i) => {
          await client.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: `raw/${rep}/${i}`,
              Body: bodies[i % bodies.length] as Uint8Array,
            }),
          )
        }),
      ),
  )
  const d = summarise(drain.ours, bytes)
  const dRaw = summarise(drain.raw, bytes)
  ctx.log(
    `drain ${d.mibps.toFixed(0)} MiB/s (${d.cpuPerGiB.toFixed(2)} CPU s/GiB, ${drainRequests[0]}) vs raw put ${dRaw.mibps.toFixed(0)} MiB/s (${dRaw.cpuPerGiB.toFixed(2)})`,
  )
  const out: Comparison[] = [
    {
      name: `upload drain ${bytes / MiB} MiB to ${target.server.name}`,
      unit: 'MiB/s',
      higherIsBetter: true,
      value: d.mibps,
      baselineName: `raw PutObject of as many blocks, same client, ${IN_FLIGHT} in flight`,
      baseline: dRaw.mibps,
      goal: 0.95,
      notes: notes(d, dRaw, { requestsPerBlock: drainRequests[0] ?? '' }),
    },
  ]
  // Cold sequential read: a fresh engine (empty read buffer), no local copy.
  const readRequests: string[] = []
  const cold = await alternate(
    ctx.repetitions,
    async (rep) => {
      await bench.reopen()
      await bench.engine.evict()
      const pid = `bench/s3/${rep}`
      const dest = new Uint8Array(BlockSize)
      const before = store.stats()
      const t = await timed(async () => {
        for (let b = 0; b < blocks; b++) await bench.engine.readAt(pid, dest, b * BlockSize)
      })
      readRequests.push(formatRequests(requestsPerBlock(before, store.stats(), blocks)))
      return t
    },
    (rep) =>
      timed(() =>
        forEachBounded(indexes, IN_FLIGHT, async (i) => {
          const o = await client.send(
            new GetObjectCommand({ Bucket: bucket, Key: `raw/${rep}/${i}` }),
          )
          await o.Body?.transformToByteArray()
        }),
      ),
  )
  const c = summarise(cold.ours, bytes)
  const cRaw = summarise(cold.raw, bytes)
  ctx.log(
    `cold read ${c.mibps.toFixed(0)} MiB/s (${c.cpuPerGiB.toFixed(2)} CPU s/GiB, ${readRequests.join(' | ')}) vs raw get ${cRaw.mibps.toFixed(0)} MiB/s (${cRaw.cpuPerGiB.toFixed(2)})`,
  )
  out.push({
    name: `cold sequential read ${bytes / MiB} MiB from ${target.server.name} (8 MiB reads)`,
    unit: 'MiB/s',
    higherIsBetter: true,
    value: c.mibps,
    baselineName: `raw GetObject of as many objects, same client, ${IN_FLIGHT} in flight`,
    baseline: cRaw.mibps,
    goal: 0.95,
    notes: notes(c, cRaw, { requestsPerBlock: readRequests.join(' | ') }),
  })
  return { comparisons: out, bench }
}
