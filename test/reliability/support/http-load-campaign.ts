/**
 * Load over HTTP: concurrent clients on loopback against the spawned server (fs local, fs
 * remote, SQLite, a token) for a bounded time, mixing PUT, PATCH, truncate, flush, GET with
 * and without Range, HEAD and DELETE. Each client owns its payloads, so its model of their
 * bytes is exact and every read is verified. Records requests by kind, the server's peak RSS,
 * its event-loop delay during the load (from /metrics) and its open descriptors before and
 * after (/proc/<pid>/fd).
 */
import { readdir, readlink } from 'node:fs/promises'
import { Agent } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { CHECKPOINT_EVERY_COMMITS } from '../../../src/meta/sqlite/wal-checkpointer.js'
import {
  encodeId,
  type HttpAnswer,
  type ScratchServer,
  send,
  startScratchServer,
} from './http-client.js'
import { patternBytes } from './pattern.js'
import { Rng } from './rng.js'

/** Figures of an HTTP load run. */
export interface HttpLoadFigures {
  readonly clients: number
  readonly durationMs: number
  /** Requests completed, by kind. */
  readonly requests: Record<string, number>
  readonly bytesVerified: number
  readonly errors: string[]
  readonly serverPeakRssBytes: number
  /** Server event-loop delay over the load window (its /metrics). */
  readonly eventLoopDelayP50Ms: number
  readonly eventLoopDelayP99Ms: number
  readonly eventLoopDelayMaxMs: number
  /** Server descriptors after warm-up and after the clients closed their connections. */
  readonly fdsBefore: number
  readonly fdsAfter: number
  /** With every client's payloads present: block files held open, handles on deleted files. */
  readonly blockFdsAtPeak: number
  readonly packFdsAtPeak: number
  readonly deletedFdsAtPeak: number
}

/**
 * Descriptors the server may hold after the load that it did not hold after warm-up: none.
 * The SQLite database, its WAL and shared-memory files (and the checkpoint worker with its own
 * connection) are opened by the warm-up, uploads are
 * drained before counting, closed connections are waited for, and every payload is deleted
 * before the count: the fs local store keeps up to 256 block files open (an LRU pool) and
 * closes a file's handle when its block is deleted. So any growth is a leak. While the
 * payloads exist the pooled handles are checked instead: at most the pool, none on a
 * deleted file. Handles on packs (small blocks' records) are not counted here: at most
 * {@link PackFdPool} stay open, closed least recently read first, checked at the peak.
 */
export const FdTolerance = 0
/** Sealed packs the fs local store keeps a read handle open on (OPEN_PACKS in src/local/fs/packs.ts). */
export const PackFdPool = 32
/** The fs local store's handle pool size (DEFAULT_FD_POOL_SIZE in src/local/fs/fd-pool.ts). */
export const BlockFdPool = 256

const token = 'load-token-Zk81'
const KiB = 1024

/**
 * The server's descriptors, less those on packs: like pooled block files, a bounded number of
 * them stay open while their packs exist (checked against {@link PackFdPool} instead).
 */
async function openFds(pid: number): Promise<number> {
  return (await fdTargets(pid)).filter((t) => !t.endsWith('.pack')).length
}

async function eventLoopDelay(s: ScratchServer): Promise<Record<string, number>> {
  const a = await send(s.port, { method: 'GET', path: '/metrics', headers: s.auth })
  const out: Record<string, number> = {}
  for (const m of a.body
    .toString('utf8')
    .matchAll(/^ditto_event_loop_delay_seconds\{stat="(\w+)"\} (\S+)$/gm)) {
    out[m[1] ?? ''] = Number(m[2]) * 1000
  }
  return out
}

/** One client: its own connection, its own two payloads, and their exact model. */
async function client(
  s: ScratchServer,
  c: number,
  until: number,
  seed: number,
  tally: (kind: string, verified?: number) => void,
  fail: (what: string) => void,
): Promise<Map<string, Buffer>> {
  const rng = new Rng(seed * 1000 + c)
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const model = new Map<string, Buffer>()
  const ids = [`c${c}/a`, `c${c}/payload b`]
  let tag = c * 1_000_000
  const req = (
    method: string,
    path: string,
    body?: Uint8Array,
    headers: Record<string, string> = {},
  ) => send(s.port, { method, path, body, agent, headers: { ...s.auth, ...headers } })
  const expect = (a: HttpAnswer, status: number, what: string): boolean => {
    if (a.status === status) return true
    fail(
      `client ${c} ${what}: ${a.status} (expected ${status}) ${a.body.toString('utf8').slice(0, 120)}`,
    )
    return false
  }
  try {
    while (performance.now() < until) {
      const id = rng.pick(ids)
      const path = `/v1/payloads/${encodeId(id)}`
      const have = model.get(id)
      const roll = rng.next()
      if (roll < 0.15) {
        const body = Buffer.from(patternBytes(++tag, 0, 4 * rng.int(64 * KiB)))
        if (expect(await req('PUT', path, body), have === undefined ? 201 : 200, `PUT ${id}`))
          model.set(id, body)
        tally('put')
      } else if (roll < 0.35) {
        const size = have?.length ?? 0
        const offset = 4 * rng.int((size + 16 * KiB) / 4)
        const body = Buffer.from(patternBytes(++tag, offset, 4 * (1 + rng.int(8 * KiB))))
        if (expect(await req('PATCH', `${path}?offset=${offset}`, body), 200, `PATCH ${id}`)) {
          const next = Buffer.alloc(Math.max(size, offset + body.length))
          have?.copy(next)
          body.copy(next, offset)
          model.set(id, next)
        }
        tally('patch')
      } else if (roll < 0.4) {
        const size = rng.int((have?.length ?? 0) + 8 * KiB)
        if (expect(await req('POST', `${path}/truncate?size=${size}`), 200, `truncate ${id}`)) {
          const next = Buffer.alloc(size)
          have?.copy(next, 0, 0, Math.min(size, have.length))
          model.set(id, next)
        }
        tally('truncate')
      } else if (roll < 0.45) {
        expect(await req('POST', `${path}/flush`), have === undefined ? 404 : 200, `flush ${id}`)
        tally('flush')
      } else if (roll < 0.65) {
        const a = await req('GET', path)
        if (expect(a, have === undefined ? 404 : 200, `GET ${id}`) && have !== undefined) {
          if (!a.body.equals(have)) fail(`client ${c} GET ${id}: bytes differ`)
          tally('get', a.body.length)
        } else tally('get')
      } else if (roll < 0.85) {
        if (have === undefined || have.length === 0) continue
        const start = rng.int(have.length)
        const end = Math.min(have.length - 1, start + rng.int(64 * KiB))
        const suffix = rng.next() < 0.3
        const range = suffix ? `bytes=-${end - start + 1}` : `bytes=${start}-${end}`
        const want = suffix
          ? have.subarray(have.length - (end - start + 1))
          : have.subarray(start, end + 1)
        const a = await req('GET', path, undefined, { range })
        if (expect(a, 206, `GET ${id} ${range}`) && !a.body.equals(want)) {
          fail(`client ${c} GET ${id} ${range}: bytes differ`)
        }
        tally('getRange', a.body.length)
      } else if (roll < 0.93) {
        const a = await req('HEAD', path)
        if (expect(a, have === undefined ? 404 : 200, `HEAD ${id}`) && have !== undefined) {
          if (Number(a.headers['content-length']) !== have.length)
            fail(`client ${c} HEAD ${id}: length`)
        }
        tally('head')
      } else {
        if (expect(await req('DELETE', path), have === undefined ? 404 : 204, `DELETE ${id}`))
          model.delete(id)
        tally('delete')
      }
    }
    for (const [id, bytes] of model) {
      const a = await req('GET', `/v1/payloads/${encodeId(id)}`)
      if (!expect(a, 200, `final GET ${id}`) || !a.body.equals(bytes))
        fail(`client ${c} final ${id} differs`)
      tally('finalGet', a.body.length)
    }
  } catch (err) {
    fail(`client ${c}: ${String(err)}`)
  } finally {
    agent.destroy()
  }
  return model
}

/** Runs `clients` concurrent clients for `durationMs` against a fresh spawned server. */
export async function runHttpLoad(
  clients: number,
  durationMs: number,
  seed: number,
): Promise<HttpLoadFigures> {
  const s = await startScratchServer({ token })
  try {
    const pid = s.process.pid
    // Warm-up: opens the database files, the block directory and the remote once, and commits
    // enough for SQLite's checkpoint worker to start (its thread and its own connection hold
    // six descriptors for good: see src/meta/sqlite/wal-checkpointer.ts).
    for (let i = 0; i < CHECKPOINT_EVERY_COMMITS; i++) {
      const path = `/v1/payloads/warm-up/${i}`
      await send(s.port, { method: 'PUT', path, headers: s.auth, body: 'warm' })
    }
    await send(s.port, { method: 'POST', path: '/v1/drain', headers: s.auth })
    for (let i = 0; i < CHECKPOINT_EVERY_COMMITS; i++) {
      const path = `/v1/payloads/warm-up/${i}`
      await send(s.port, { method: 'DELETE', path, headers: s.auth })
    }
    await checkpointWorkerOpen(pid)
    const fdsBefore = await stableFds(pid)
    await eventLoopDelay(s)
    const requests: Record<string, number> = {}
    const errors: string[] = []
    let bytesVerified = 0
    const tally = (kind: string, verified = 0): void => {
      requests[kind] = (requests[kind] ?? 0) + 1
      bytesVerified += verified
    }
    const until = performance.now() + durationMs
    const models = await Promise.all(
      Array.from({ length: clients }, (_, c) =>
        client(s, c, until, seed, tally, (e) => errors.push(e)),
      ),
    )
    const delay = await eventLoopDelay(s)
    const drained = await send(s.port, { method: 'POST', path: '/v1/drain', headers: s.auth })
    if (drained.status !== 200)
      errors.push(`drain: ${drained.status} ${drained.body.toString('utf8')}`)
    const peak = await fdTargets(pid)
    // Deleting closes the pooled handles of the payloads' block files (see FdTolerance).
    for (const id of models.flatMap((m) => [...m.keys()])) {
      const path = `/v1/payloads/${encodeId(id)}`
      const a = await send(s.port, { method: 'DELETE', path, headers: s.auth })
      if (a.status !== 204) errors.push(`final DELETE ${id}: ${a.status}`)
    }
    const fdsAfter = await settledFds(pid, fdsBefore + FdTolerance)
    return {
      clients,
      durationMs,
      requests,
      bytesVerified,
      errors: errors.slice(0, 20),
      serverPeakRssBytes: await s.process.peakRss(),
      eventLoopDelayP50Ms: delay.p50 ?? Number.NaN,
      eventLoopDelayP99Ms: delay.p99 ?? Number.NaN,
      eventLoopDelayMaxMs: delay.max ?? Number.NaN,
      fdsBefore,
      fdsAfter,
      blockFdsAtPeak: peak.filter((t) => t.endsWith('.blk')).length,
      packFdsAtPeak: peak.filter((t) => t.endsWith('.pack')).length,
      deletedFdsAtPeak: peak.filter((t) => t.endsWith(' (deleted)')).length,
    }
  } finally {
    await s.dispose()
  }
}

/**
 * The server's descriptor count once closed connections are gone: polls up to 2 s for the
 * count to reach `target` (the server closes a socket only after seeing the client's FIN).
 */
async function settledFds(pid: number, target: number): Promise<number> {
  let n = await openFds(pid)
  for (let i = 0; i < 40 && n > target; i++) {
    await sleep(50)
    n = await openFds(pid)
  }
  return n
}

/**
 * Waits until the database file is open twice: the checkpoint worker's connection beside the
 * server's own, the last descriptors the warm-up makes the server open.
 */
async function checkpointWorkerOpen(pid: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const db = (await fdTargets(pid)).filter((t) => t.endsWith('/meta.db'))
    if (db.length >= 2) return
    await sleep(25)
  }
  throw new Error('the SQLite checkpoint worker did not open the database after the warm-up')
}

/** The server's descriptor count once two readings 50 ms apart agree (warm-up sockets closed). */
async function stableFds(pid: number): Promise<number> {
  let n = await openFds(pid)
  for (let i = 0; i < 40; i++) {
    await sleep(50)
    const next = await openFds(pid)
    if (next === n) return n
    n = next
  }
  return n
}

/** What each open descriptor of `pid` points at (a path, `socket:[n]`, ...). */
async function fdTargets(pid: number): Promise<string[]> {
  const out: string[] = []
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    // A descriptor closed between the listing and the readlink is simply gone.
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => undefined)
    if (target !== undefined) out.push(target)
  }
  return out
}
