/**
 * 8 MiB block write and read throughput of the remote stores with 1, 8 and 32 in flight:
 * S3RemoteStore against raw PutObject/GetObject on the same client (Ceph RGW when installed,
 * else s3rver), FsRemoteStore against raw temp+fsync+rename writes and readFile.
 * `REMOTE_BENCH=fs` or `REMOTE_BENCH=s3` measures one backend only.
 */
import { randomUUID } from 'node:crypto'
import { mkdir, open, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { pattern } from '../../src/conformance/remote-store-assert.js'
import { BlockSize } from '../../src/core/constants.js'
import { forEachBounded } from '../../src/core/for-each-bounded.js'
import type { RemoteStore } from '../../src/core/remote-store.js'
import { fsyncPath } from '../../src/platform/fsync.js'
import { FsRemoteStore } from '../../src/remote/fs/fs-remote-store.js'
import { createS3Client, resolveS3Options } from '../../src/remote/s3/s3-options.js'
import { S3RemoteStore } from '../../src/remote/s3/s3-remote-store.js'
import { type S3TestServer, startCeph, startS3rver } from '../../test/support/s3-servers.js'
import { cpuSecondsPerGiB, timed } from '../engine/measure.js'
import {
  type BenchContext,
  type Comparison,
  median,
  mibPerSecond,
  type Workload,
} from '../harness.js'

const CONCURRENCY = [1, 8, 32] as const
type Op = (i: number) => Promise<unknown>

interface Pair {
  readonly backend: string
  readonly baselineWrite: string
  readonly baselineRead: string
  store: Op
  raw: Op
  storeRead: Op
  rawRead: Op
}

/** CPU seconds per GiB of the runs measured by {@link throughput}, per figure. */
const cpuRuns = new Map<Op, number[]>()

/** Runs `op` over `count` blocks with `c` in flight; MiB/s (CPU s/GiB kept in cpuRuns). */
async function throughput(count: number, c: number, op: Op): Promise<number> {
  const indexes = Array.from({ length: count }, (_, i) => i)
  const t = await timed(() => forEachBounded(indexes, c, op))
  const runs = cpuRuns.get(op) ?? []
  runs.push(cpuSecondsPerGiB(t, count * BlockSize))
  cpuRuns.set(op, runs)
  return mibPerSecond(count * BlockSize, t.ms)
}

/** Median CPU s/GiB of `op`'s runs since the last call, two decimals. */
function cpuOf(op: Op): number {
  const runs = cpuRuns.get(op) ?? [0]
  cpuRuns.delete(op)
  return Number(median(runs).toFixed(2))
}

async function measure(
  ctx: BenchContext,
  pair: Pair,
  notes: Record<string, string>,
): Promise<Comparison[]> {
  const out: Comparison[] = []
  for (const c of CONCURRENCY) {
    // Enough blocks that one run lasts about a second or more: with 16 blocks a run of the fs
    // pair took 0.3-0.5 s and its ratio swung 0.86-1.11x between runs of the same code.
    const count = ctx.quick ? Math.max(c, 4) : Math.max(2 * c, 48)
    const w: number[] = []
    const wRaw: number[] = []
    const r: number[] = []
    const rRaw: number[] = []
    // One untimed round of each first (server warm-up, connections, page cache), then
    // interleaved runs, the order flipping every repetition, so drift hits both sides alike.
    for (const op of [pair.store, pair.raw, pair.storeRead, pair.rawRead]) {
      await throughput(count, c, op)
      cpuRuns.delete(op)
    }
    for (let rep = 0; rep < ctx.repetitions; rep++) {
      const storeFirst = rep % 2 === 0
      const both = async (a: Op, b: Op, into: [number[], number[]]): Promise<void> => {
        if (storeFirst) into[0].push(await throughput(count, c, a))
        into[1].push(await throughput(count, c, b))
        if (!storeFirst) into[0].push(await throughput(count, c, a))
      }
      await both(pair.store, pair.raw, [w, wRaw])
      await both(pair.storeRead, pair.rawRead, [r, rRaw])
    }
    ctx.log(
      `${pair.backend} c=${c}: write ${median(w).toFixed(0)} vs ${median(wRaw).toFixed(0)}, read ${median(r).toFixed(0)} vs ${median(rRaw).toFixed(0)} MiB/s`,
    )
    const base = {
      unit: 'MiB/s',
      higherIsBetter: true,
      goal: 0.95,
    }
    const cpu = (a: Op, b: Op) => ({
      ...notes,
      blocks: count,
      cpuSecPerGiB: cpuOf(a),
      rawCpuSecPerGiB: cpuOf(b),
    })
    out.push({
      ...base,
      notes: cpu(pair.store, pair.raw),
      name: `${pair.backend} write 8 MiB x${count}, ${c} in flight`,
      value: median(w),
      baselineName: pair.baselineWrite,
      baseline: median(wRaw),
    })
    out.push({
      ...base,
      notes: cpu(pair.storeRead, pair.rawRead),
      name: `${pair.backend} read 8 MiB x${count}, ${c} in flight`,
      value: median(r),
      baselineName: pair.baselineRead,
      baseline: median(rRaw),
    })
  }
  return out
}

function s3Pair(store: RemoteStore, client: S3Client, bucket: string): Pair {
  const data = pattern(BlockSize, 1)
  return {
    backend: 'S3RemoteStore',
    baselineWrite: 'raw PutObjectCommand, same client',
    baselineRead: 'raw GetObjectCommand + transformToByteArray, same client',
    store: (i) => store.writeBlock(`engine/block-${i}`, data),
    raw: (i) =>
      client.send(new PutObjectCommand({ Bucket: bucket, Key: `raw/block-${i}`, Body: data })),
    storeRead: (i) => store.readBlock(`engine/block-${i}`),
    rawRead: async (i) => {
      const o = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `raw/block-${i}` }))
      return o.Body?.transformToByteArray()
    },
  }
}

function fsPair(store: FsRemoteStore, rawDir: string): Pair {
  const data = pattern(BlockSize, 2)
  const rawPath = (i: number): string => join(rawDir, `block-${i}`)
  return {
    backend: 'FsRemoteStore',
    baselineWrite: 'raw write to temp + fsync + rename + dir fsync',
    baselineRead: 'raw fs.readFile',
    store: (i) => store.writeBlock(`engine/block-${i}`, data),
    raw: async (i) => {
      const tmp = `${rawPath(i)}.${randomUUID()}`
      const fh = await open(tmp, 'wx')
      await fh.write(data)
      await fh.sync()
      await fh.close()
      await rename(tmp, rawPath(i))
      await fsyncPath(rawDir)
    },
    storeRead: (i) => store.readBlock(`engine/block-${i}`),
    rawRead: (i) => readFile(rawPath(i)),
  }
}

async function measureFs(ctx: BenchContext): Promise<Comparison[]> {
  const fsStore = await FsRemoteStore.open({ root: join(ctx.scratchDir, 'fs-store') })
  const rawDir = join(ctx.scratchDir, 'fs-raw')
  await mkdir(rawDir)
  try {
    return await measure(ctx, fsPair(fsStore, rawDir), { disk: ctx.scratchDir })
  } finally {
    await fsStore.close()
  }
}

const workload: Workload = {
  name: 'remote',
  description: '8 MiB block throughput of S3RemoteStore and FsRemoteStore vs raw calls',
  async run(ctx): Promise<Comparison[]> {
    const results: Comparison[] = []
    const only = process.env.REMOTE_BENCH
    if (only !== 's3') results.push(...(await measureFs(ctx)))
    if (only === 'fs') return results

    const server: S3TestServer = (await startCeph()) ?? (await startS3rver())
    try {
      const bucket = await server.createBucket()
      const options = {
        bucket,
        endpoint: server.endpoint,
        region: server.region,
        credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      }
      const client = createS3Client(options, resolveS3Options(options).policy)
      const store = await S3RemoteStore.open({ ...options, client })
      results.push(...(await measure(ctx, s3Pair(store, client, bucket), { server: server.name })))
      await store.deleteByPrefix('')
      await store.close()
      client.destroy()
    } finally {
      await server.stop()
    }
    return results
  },
}
export default workload
