/**
 * The HTTP server against the engine called in-process, on the same fs + SQLite stores:
 * sequential PUT and GET throughput, and the 4 KiB PUT+GET request rate at 16 concurrent with
 * the event-loop delay p99 seen meanwhile. The 4 KiB requests come from a client in its own
 * process (node:http, keep-alive), so this process's CPU and event loop are the server's alone;
 * they are compared with the engine doing in-process exactly what the server does for them
 * (replace: beginReplace, writeAt, commit; then stat and readAt), runs alternating, medians
 * reported with CPU ms per request. The same client also drives a bare `node:http` server doing
 * a temp file + fsync + rename + directory fsync per PUT (the floor of a durable all-or-nothing
 * PUT on this machine). The GET is also read by curl in its own process, which measures the
 * server without the in-process fetch client's work competing for the same thread.
 */
import { execFile, spawn } from 'node:child_process'
import { mkdir, open, readFile, rename } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { promisify } from 'node:util'
import type { BlockStore } from '../../src/core/block-store.js'
import { openBlockStore } from '../../src/engine/open.js'
import { readToStream, writeFromStream } from '../../src/engine/payload-stream.js'
import { BlockStoreServer } from '../../src/server/block-store-server.js'
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

/** One timed run of the 4 KiB mix: ops (PUT+GET pairs) per second, CPU and loop delay. */
interface SmallRun {
  readonly opsPerSec: number
  /** CPU ms of this process per op (user + system). */
  readonly cpuMsPerOp: number
  /** p99 event-loop delay of this process meanwhile (ms). */
  readonly loopP99Ms: number
}

/**
 * Runs `fn` (doing `ops` ops), measuring rate, this process's CPU and its event-loop delay.
 * `fn` may return its own timing (ms) of the ops, leaving out its set-up.
 */
async function measureSmall(ops: number, fn: () => Promise<number | undefined>): Promise<SmallRun> {
  const h = monitorEventLoopDelay({ resolution: 5 })
  h.enable()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  let ownMs: number | undefined
  try {
    ownMs = await fn()
  } finally {
    h.disable()
  }
  const seconds = (ownMs ?? performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  return {
    opsPerSec: ops / seconds,
    cpuMsPerOp: (cpu.user + cpu.system) / 1000 / ops,
    loopP99Ms: h.percentile(99) / 1e6,
  }
}

/** The engine doing in-process, 16 at a time, what the server does for a 4 KiB PUT and GET. */
function engineSmallOps(
  engine: BlockStore,
  concurrency: number,
  count: number,
  tag: string,
  payload: Uint8Array,
  mode: 'replace' | 'flush',
): Promise<SmallRun> {
  return measureSmall(count, async () => {
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < count) {
        const id = `e${mode}/${tag}/${next++}`
        if (mode === 'replace') {
          const r = await engine.beginReplace(id)
          await r.writeAt(payload, 0)
          await r.commit()
          await engine.stat(id)
        } else {
          await engine.truncate(id, 0)
          await engine.writeAt(id, payload, 0)
          await engine.flush(id)
        }
        await engine.readAt(id, new Uint8Array(4096), 0)
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
    return undefined
  })
}

/**
 * The load client, run in its own Node process: 16 keep-alive connections, each doing a PUT
 * of 4 KiB then a GET of it, `count` pairs in all; fails on any status >= 300 or short body.
 */
const ClientSource = `
import http from 'node:http'
const [url, count, tag] = process.argv.slice(1)
const u = new URL(url)
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 })
const body = Buffer.alloc(4096, 7)
const req = (method, path, data) => new Promise((resolve, reject) => {
  const r = http.request({ host: u.hostname, port: u.port, method, path, agent,
    headers: data ? { 'content-length': data.length } : {} }, (res) => {
    let n = 0
    res.on('data', (d) => { n += d.length })
    res.on('end', () => res.statusCode < 300 ? resolve(n) : reject(new Error(method + ' ' + res.statusCode)))
  })
  r.on('error', reject)
  r.end(data)
})
let next = 0
const t0 = performance.now()
await Promise.all(Array.from({ length: 16 }, async () => {
  while (next < Number(count)) {
    const path = '/v1/payloads/small/' + tag + '/' + next++
    await req('PUT', path, body)
    if ((await req('GET', path)) !== 4096) throw new Error('short GET')
  }
}))
process.stdout.write(String(performance.now() - t0))
agent.destroy()
`

/**
 * The floor for the 4 KiB mix: a bare `node:http` server in this process doing the cheapest
 * durable all-or-nothing replace a program can do on this file system (write a temporary file,
 * fsync it, rename it over the target, fsync the directory) and a plain file read for GET, for
 * the same client. No engine, no metadata: what the machine gives any server that promises what
 * ours promises for a PUT.
 */
async function rawServer(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  await mkdir(dir, { recursive: true })
  const dirHandle = await open(dir, 'r')
  let tmp = 0
  const fileOf = (url: string): string =>
    join(dir, Buffer.from(url).toString('base64url').slice(-120))
  const server = createServer((req, res) => {
    const target = fileOf(req.url ?? '/')
    const fail = (err: unknown): void => {
      res.statusCode = 500
      res.end(String(err))
    }
    if (req.method === 'PUT') {
      const parts: Buffer[] = []
      req.on('data', (d: Buffer) => parts.push(d))
      req.on('end', () => {
        void (async () => {
          const path = `${dir}/.tmp${tmp++}`
          const fh = await open(path, 'w')
          try {
            await fh.writeFile(Buffer.concat(parts))
            await fh.sync()
          } finally {
            await fh.close()
          }
          await rename(path, target)
          await dirHandle.sync()
          res.end()
        })().catch(fail)
      })
      return
    }
    readFile(target).then((data) => res.end(data), fail)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await dirHandle.close()
    },
  }
}

/** Runs the load client against `url` and measures this (the server's) process meanwhile. */
function smallClient(url: string, count: number, tag: string): Promise<SmallRun> {
  return measureSmall(count, async () => {
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', ClientSource, url, String(count), tag],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d
    })
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    if (code !== 0) throw new Error(`load client failed (${code}): ${err}`)
    // The client's own timing of its requests: its start-up (~50 ms) is not the server's.
    return Number(out)
  })
}

const workload: Workload = {
  name: 'http',
  description: 'HTTP PUT/GET throughput and 4 KiB request rate vs the engine in-process',
  async run(ctx): Promise<Comparison[]> {
    const total = (ctx.quick ? 32 : 256) * MiB
    const small = ctx.quick ? 200 : 1000
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
      await gets.curl() // untimed warm-up: page cache, JIT
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
      // Untimed warm-up of both paths: JIT, SQLite page cache, the client's connections.
      await smallClient(server.url, ctx.quick ? 50 : 300, `warm${seed}`)
      await engineSmallOps(engine, 16, ctx.quick ? 50 : 300, `ewarm${seed}`, payload, 'replace')
      const raw = await rawServer(join(ctx.scratchDir, 'raw'))
      await smallClient(raw.url, ctx.quick ? 50 : 300, `rwarm${seed}`)
      const httpRuns: SmallRun[] = []
      const engineRuns: SmallRun[] = []
      const plainRuns: SmallRun[] = []
      const rawRuns: SmallRun[] = []
      for (let rep = 0; rep < Math.max(3, ctx.repetitions); rep++) {
        const tag = `${seed}-${rep}`
        const steps: (() => Promise<void>)[] = [
          async () => {
            httpRuns.push(await smallClient(server.url, small, tag))
          },
          async () => {
            engineRuns.push(await engineSmallOps(engine, 16, small, tag, payload, 'replace'))
          },
          async () => {
            plainRuns.push(await engineSmallOps(engine, 16, small, tag, payload, 'flush'))
          },
          async () => {
            rawRuns.push(await smallClient(raw.url, small, tag))
          },
        ]
        for (let k = 0; k < steps.length; k++) await steps[(k + rep) % steps.length]!()
      }
      const httpSmall = median(httpRuns.map((r) => r.opsPerSec))
      const engineSmall = median(engineRuns.map((r) => r.opsPerSec))
      const plainSmall = median(plainRuns.map((r) => r.opsPerSec))
      const rawSmall = median(rawRuns.map((r) => r.opsPerSec))
      await raw.close()
      ctx.log(
        `PUT ${httpPut.toFixed(0)} vs ${enginePut.toFixed(0)} MiB/s, GET ${httpGet.toFixed(0)} (curl ${curlGetRate.toFixed(0)}) vs ${engineGet.toFixed(0)} MiB/s, 4 KiB ${httpSmall.toFixed(0)} vs ${engineSmall.toFixed(0)} ops/s (PUT+GET; engine write+flush+read ${plainSmall.toFixed(0)})`,
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
          name: '4 KiB PUT+GET requests, 16 concurrent (client in another process)',
          unit: 'req/s',
          higherIsBetter: true,
          value: 2 * httpSmall,
          baselineName: 'engine in-process doing the same (replace, stat, readAt), 2 per op',
          baseline: 2 * engineSmall,
          notes: {
            requests: small * 2,
            serverCpuMsPerReq: Number(median(httpRuns.map((r) => r.cpuMsPerOp / 2)).toFixed(3)),
            engineCpuMsPerReq: Number(median(engineRuns.map((r) => r.cpuMsPerOp / 2)).toFixed(3)),
            runs: httpRuns.map((r) => Math.round(2 * r.opsPerSec)).join('/'),
            engineRuns: engineRuns.map((r) => Math.round(2 * r.opsPerSec)).join('/'),
            engineFlushNoReplaceReqPerSec: Math.round(2 * plainSmall),
          },
        },
        {
          name: '4 KiB PUT+GET requests, 16 concurrent, against a bare server',
          unit: 'req/s',
          higherIsBetter: true,
          value: 2 * httpSmall,
          baselineName:
            'node:http doing temp file + fsync + rename + dir fsync per PUT, readFile per GET',
          baseline: 2 * rawSmall,
          notes: {
            rawCpuMsPerReq: Number(median(rawRuns.map((r) => r.cpuMsPerOp / 2)).toFixed(3)),
            rawRuns: rawRuns.map((r) => Math.round(2 * r.opsPerSec)).join('/'),
          },
        },
        {
          name: 'event-loop delay p99 during 4 KiB PUT+GET, 16 concurrent',
          unit: 'ms',
          higherIsBetter: false,
          value: median(httpRuns.map((r) => r.loopP99Ms)),
          baselineName: 'same during the engine in-process replace, stat, readAt',
          baseline: median(engineRuns.map((r) => r.loopP99Ms)),
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
