/** The CLI against a running server (`--url`), with the bearer token from `DITTO_TOKEN`. */
import { Readable, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import { MaxFlushIds } from '../core/constants.js'
import { BlockStoreError, ERROR_CODES, type ErrorCode } from '../core/errors.js'
import type { HealthReport } from '../core/health.js'
import type { BatchFlushReport, CliTarget, GcRequest, OnProgress } from './target.js'

/** Every error status of the table: a batch flush answers one with its per-payload lists. */
const ERROR_STATUSES = [...new Set(Object.values(ERROR_CODES).map((m) => m.http))]

/** Path of a payload ID: each segment percent-encoded, the `/` kept. */
export function payloadPath(id: string): string {
  return `/v1/payloads/${id.split('/').map(encodeURIComponent).join('/')}`
}

async function failure(res: Response, read?: unknown): Promise<BlockStoreError> {
  const body = (read ?? (await res.json().catch(() => undefined))) as
    | { code?: string; message?: string }
    | undefined
  // A body-less answer (HEAD) is mapped back through the table: the first code of its status.
  const byStatus = (Object.keys(ERROR_CODES) as ErrorCode[]).find(
    (c) => ERROR_CODES[c].http === res.status,
  )
  const code =
    body?.code !== undefined && body.code in ERROR_CODES ? (body.code as ErrorCode) : byStatus
  return new BlockStoreError(
    code ?? 'BS_UNAVAILABLE',
    body?.message ?? `server answered ${res.status} ${res.statusText}`,
  )
}

/**
 * The query of `POST /v1/gc`: only what was asked for, a plain duration as written
 * (`90m`), anything fancier (`1.5h`) as milliseconds, which every server reads the same way.
 */
export function gcQuery(r: GcRequest): Record<string, string | undefined> {
  const grace = r.grace
  return {
    dryRun: r.dryRun ? '1' : undefined,
    gracePeriod:
      grace === undefined
        ? undefined
        : /^\d+(ms|s|m|h|d)?$/.test(grace.text.trim())
          ? grace.text.trim()
          : String(grace.ms),
    prefix: r.prefix,
    maxDeletions: r.maxDeletions === undefined ? undefined : String(r.maxDeletions),
  }
}

/** Opens a target talking to the server at `baseUrl`. */
export function openHttpTarget(baseUrl: string, token: string | undefined): CliTarget {
  const base = baseUrl.replace(/\/+$/, '')
  const call = async (
    method: string,
    path: string,
    init: {
      body?: unknown
      query?: Record<string, string | undefined>
      /** Error statuses that still carry an answer (health's 503). */
      accept?: number[]
    } = {},
  ): Promise<Response> => {
    const q = new URLSearchParams()
    for (const [k, v] of Object.entries(init.query ?? {})) if (v !== undefined) q.set(k, v)
    const url = `${base}${path}${q.size > 0 ? `?${q}` : ''}`
    let res: Response
    try {
      res = await fetch(url, {
        method,
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        ...(init.body === undefined ? {} : { body: init.body, duplex: 'half' }),
      } as RequestInit)
    } catch (err) {
      throw new BlockStoreError('BS_UNAVAILABLE', `cannot reach the server at ${base}`, {
        cause: err,
      })
    }
    if (!res.ok && init.accept?.includes(res.status) !== true) throw await failure(res)
    return res
  }
  const json = async <T>(
    method: string,
    path: string,
    query?: Record<string, string | undefined>,
  ): Promise<T> =>
    (await (await call(method, path, query === undefined ? {} : { query })).json()) as T

  /** `POST /v1/flush`: a partial batch is a report, any other error is thrown. */
  const batch = async (body: unknown): Promise<BatchFlushReport> => {
    const res = await call('POST', '/v1/flush', {
      body: JSON.stringify(body),
      accept: ERROR_STATUSES,
    })
    const answer = (await res.json().catch(() => undefined)) as
      | Partial<BatchFlushReport>
      | undefined
    if (Array.isArray(answer?.results) && Array.isArray(answer?.failures)) {
      return answer as BatchFlushReport
    }
    throw await failure(res, answer)
  }

  return {
    async put(id, source, onProgress?: OnProgress) {
      let done = 0
      async function* counted(): AsyncGenerator<Uint8Array> {
        for await (const chunk of source) {
          done += chunk.byteLength
          onProgress?.(done)
          yield chunk
        }
      }
      const res = await call('PUT', payloadPath(id), { body: Readable.from(counted()) })
      return (await res.json()) as { id: string; size: number; finalized: boolean }
    },
    async get(id, sink: Writable, onSize, onProgress) {
      const res = await call('GET', payloadPath(id))
      onSize?.(Number(res.headers.get('content-length') ?? 0))
      let done = 0
      async function* counted(): AsyncGenerator<Uint8Array> {
        if (res.body === null) return
        for await (const chunk of res.body as WebReadableStream<Uint8Array>) {
          done += chunk.byteLength
          onProgress?.(done)
          yield chunk
        }
      }
      await pipeline(Readable.from(counted()), sink, { end: sink !== process.stdout })
      return done
    },
    stat: async (id) => {
      const res = await call('HEAD', payloadPath(id))
      const modifiedAt = Date.parse(res.headers.get('last-modified') ?? '')
      return {
        id,
        size: Number(res.headers.get('content-length')),
        createdAt: Number.NaN,
        modifiedAt,
      }
    },
    list: (prefix, cursor, limit) =>
      json('GET', '/v1/payloads', { prefix, cursor, limit: String(limit) }),
    remove: async (id) => {
      await call('DELETE', payloadPath(id))
    },
    truncate: async (id, size) => {
      await call('POST', `${payloadPath(id)}/truncate`, { query: { size: String(size) } })
      await call('POST', `${payloadPath(id)}/flush`)
    },
    copy: async (src, dst) => {
      const r = await json<{ blocksCopied: number }>('POST', `${payloadPath(src)}/copy`, {
        to: dst,
      })
      await call('POST', `${payloadPath(dst)}/flush`)
      return r.blocksCopied
    },
    flush: (id) => json('POST', `${payloadPath(id)}/flush`),
    async flushMany(ids) {
      // A server takes at most MaxFlushIds IDs a request: larger batches go in slices.
      const distinct = [...new Set(ids)]
      const reports: BatchFlushReport[] = []
      for (let i = 0; i === 0 || i < distinct.length; i += MaxFlushIds) {
        reports.push(await batch({ ids: distinct.slice(i, i + MaxFlushIds) }))
      }
      return {
        results: reports.flatMap((r) => r.results),
        failures: reports.flatMap((r) => r.failures),
      }
    },
    flushAll: () => batch({ all: true }),
    drain: () => json('POST', '/v1/drain'),
    gc: (r) => json('POST', '/v1/gc', gcQuery(r)),
    stats: () => json('GET', '/v1/stats'),
    health: async () =>
      (await (await call('GET', '/v1/health', { accept: [503] })).json()) as HealthReport,
    evict: (o) =>
      json('POST', '/v1/evict', {
        readBuffer: o.readBuffer === undefined ? undefined : String(o.readBuffer),
        local: o.local === undefined ? undefined : String(o.local),
        payload: o.payloadId,
      }),
    close: async () => {},
    [Symbol.asyncDispose]: async () => {},
  }
}
