/**
 * The HTTP server against the engine called in-process, on the same fs + SQLite stores:
 * sequential PUT and GET throughput, and 4 KiB PUT+GET requests per second from a bounded
 * concurrent fetch loop on loopback with the event-loop delay p99 seen meanwhile. The GET is
 * also read by curl in its own process, which measures the server without the in-process
 * fetch client's work competing for the same thread.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { promisify } from 'node:util'
import type { BlockStore } from '../../src/core/block-store.js'
import { openBlockStore } from '../../src/engine/open.js'
import { BlockStoreServer } from '../../src/server/block-store-server.js'
import { readToStream, writeFromStream } from '../../src/server/payload-stream.js'
import { summarise, type Timed, timed } from '../engine/measure.js'
import { type Comparison, median, medianOf, mibPerSecond, type Workload } from '../harness.js'

const MiB = 1024 * 1024
const run = promisify(execFile)

function source(total: number, seed: number): () => AsyncGenerator<Uint8Array> {
  const chunk = new Uint8Array(MiB)
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 2654435761 + seed) >>> 24
  return async function* (): AsyncGenerator<Uint8Array> {
    for (let done = 0; done < total; done += MiB) {
      const piece = new Uint8Array(chunk)
      new DataView(piece.buffer).setUint32(0, done / MiB + seed * 100_000)
      yield piece
    }
  }
}

async function smallOps(
  count: number,
  concurrency: number,
  deadlineMs: number,
  op: (i: number) => Promise<void>,
): Promise<number> {
  let next = 0
  const t0 = performance.now()
  const worker = async (): Promise<void> => {
    while (next < count && performance.now() - t0 < deadlineMs) await op(next++)
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return next / ((performance.now() - t0) / 1000)
}

/** Runs `fn`, pushing the p99 event-loop delay (ms) seen meanwhile onto `delays`. */
async function sampleLoopDelay<T>(delays: number[], fn: () => Promise<T>): Promise<T> {
  const h = monitorEventLoopDelay({ resolution: 5 })
  h.enable()
  try {
    return await fn()
  } finally {
    h.disable()
    delays.push(h.percentile(99) / 1e6)
  }
}

const workload: Workload = {
  name: 'http',
  description: 'HTTP PUT/GET throughput and 4 KiB request rate vs the engine in-process',
  async run(ctx): Promise<Comparison[]> {
    const total = (ctx.quick ? 32 : 256) * MiB
    const small = ctx.quick ? 200 : 2000
    const engine: BlockStore = await openBlockStore({
      local: { kind: 'fs', dir: join(ctx.scratchDir, 'blocks') },
      metadata: { kind: 'sqlite', path: join(ctx.scratchDir, 'meta.db') },
    })
    const server = await BlockStoreServer.listen({ engine, port: 0 })
    try {
      let seed = 0
      const httpPut = await medianOf(ctx.repetitions, async () => {
        const body = readableFrom(source(total, ++seed)())
        const t0 = performance.now()
        const res = await fetch(`${server.url}/v1/payloads/seq/${seed}`, {
          method: 'PUT',
          body,
          duplex: 'half',
        } as RequestInit)
        await res.arrayBuffer()
        if (res.status >= 300) throw new Error(`PUT ${res.status}`)
        return mibPerSecond(total, performance.now() - t0)
      })
      const enginePut = await medianOf(ctx.repetitions, async () => {
        const id = `direct/${++seed}`
        const t0 = performance.now()
        await engine.truncate(id, 0)
        await writeFromStream(engine, id, source(total, seed)())
        await engine.flush(id)
        return mibPerSecond(total, performance.now() - t0)
      })
      // Three GETs of the same payload per round, their order rotating, medians reported with
      // this process's CPU seconds per GiB: on a shared machine only same-run figures compare.
      const gets: Record<'fetch' | 'curl' | 'engine', () => Promise<Timed>> = {
        fetch: () =>
          timed(async () => {
            const res = await fetch(`${server.url}/v1/payloads/seq/1`)
            let n = 0
            for await (const piece of res.body as unknown as AsyncIterable<Uint8Array>)
              n += piece.byteLength
            if (n !== total) throw new Error(`GET returned ${n} bytes`)
          }),
        // The same GET read by curl in its own process: the server's rate without the fetch
        // client's own work (undici, web streams) sharing this event loop. CPU is the
        // server's alone.
        curl: () => timed(() => curlGet(`${server.url}/v1/payloads/seq/1`, total)),
        engine: () =>
          timed(async () => {
            for await (const _ of readToStream(engine, 'seq/1', 0, total)) {
              // consume
            }
          }),
      }
      const getRuns: Record<keyof typeof gets, Timed[]> = { fetch: [], curl: [], engine: [] }
      const getOrder = ['fetch', 'curl', 'engine'] as const
      for (let rep = 0; rep < Math.max(3, ctx.repetitions); rep++) {
        for (let k = 0; k < getOrder.length; k++) {
          const which = getOrder[(k + rep) % getOrder.length] as keyof typeof gets
          getRuns[which].push(await gets[which]())
        }
      }
      const getSummary = (which: keyof typeof gets) => summarise(getRuns[which], total)
      const httpGet = getSummary('fetch').mibps
      const curlGetRate = getSummary('curl').mibps
      const engineGet = getSummary('engine').mibps
      const getNotes = (which: keyof typeof gets) => ({
        cpuSecPerGiB: Number(getSummary(which).cpuPerGiB.toFixed(2)),
        engineCpuSecPerGiB: Number(getSummary('engine').cpuPerGiB.toFixed(2)),
        runs: getSummary(which).runs.join('/'),
        engineRuns: getSummary('engine').runs.join('/'),
      })
      const payload = new Uint8Array(4096).fill(7)
      // Client and server share this process: the delay covers both sides of each phase.
      const httpDelays: number[] = []
      const engineDelays: number[] = []
      const httpSmall = await medianOf(ctx.repetitions, () =>
        sampleLoopDelay(httpDelays, () =>
          smallOps(small, 16, 20_000, async (i) => {
            const url = `${server.url}/v1/payloads/small/${seed}/${i}`
            await (await fetch(url, { method: 'PUT', body: payload })).arrayBuffer()
            await (await fetch(url)).arrayBuffer()
          }),
        ),
      )
      const engineSmall = await medianOf(ctx.repetitions, () =>
        sampleLoopDelay(engineDelays, () =>
          smallOps(small, 16, 20_000, async (i) => {
            const id = `esmall/${seed}/${i}`
            await engine.truncate(id, 0)
            await engine.writeAt(id, payload, 0)
            await engine.flush(id)
            await engine.readAt(id, new Uint8Array(4096), 0)
          }),
        ),
      )
      ctx.log(
        `PUT ${httpPut.toFixed(0)} vs ${enginePut.toFixed(0)} MiB/s, GET ${httpGet.toFixed(0)} (curl ${curlGetRate.toFixed(0)}) vs ${engineGet.toFixed(0)} MiB/s, 4 KiB ${httpSmall.toFixed(0)} vs ${engineSmall.toFixed(0)} ops/s`,
      )
      const size = `${total / MiB} MiB`
      return [
        {
          name: `sequential PUT ${size} over HTTP`,
          unit: 'MiB/s',
          higherIsBetter: true,
          value: httpPut,
          baselineName: 'engine in-process (truncate, writeAt, flush)',
          baseline: enginePut,
        },
        {
          name: `sequential GET ${size} over HTTP`,
          unit: 'MiB/s',
          higherIsBetter: true,
          value: httpGet,
          baselineName: 'engine in-process readAt',
          baseline: engineGet,
          notes: getNotes('fetch'),
        },
        {
          name: `sequential GET ${size} over HTTP, read by curl (another process)`,
          unit: 'MiB/s',
          higherIsBetter: true,
          value: curlGetRate,
          baselineName: 'engine in-process readAt',
          baseline: engineGet,
          goal: 0.8,
          notes: getNotes('curl'),
        },
        {
          name: '4 KiB PUT+GET, 16 concurrent',
          unit: 'ops/s',
          higherIsBetter: true,
          value: httpSmall,
          baselineName: 'engine in-process write+flush+read',
          baseline: engineSmall,
          notes: { requests: small * 2 },
        },
        {
          name: 'event-loop delay p99 during 4 KiB PUT+GET, 16 concurrent',
          unit: 'ms',
          higherIsBetter: false,
          value: median(httpDelays),
          baselineName: 'same during engine in-process write+flush+read',
          baseline: median(engineDelays),
        },
      ]
    } finally {
      await server.close()
      await engine.close()
    }
  },
}
export default workload

/** One GET of `url` by curl, written to /dev/null; fails unless `bytes` came. */
async function curlGet(url: string, bytes: number): Promise<void> {
  const { stdout } = await run('curl', ['-sf', '-o', '/dev/null', '-w', '%{size_download}', url])
  if (Number(stdout) !== bytes) throw new Error(`curl GET returned ${stdout} bytes`)
}

/** A web ReadableStream over an async iterator (Node 20 lacks ReadableStream.from). */
function readableFrom(it: AsyncIterator<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async pull(c) {
      const { value, done } = await it.next()
      if (done === true) c.close()
      else c.enqueue(value)
    },
  })
}
