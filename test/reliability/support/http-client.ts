/**
 * A minimal HTTP client over node:http for the campaigns against the spawned server: the
 * path is sent exactly as given (fetch would normalise `..` and re-encode), each client can
 * keep its own connection (an Agent), and every answer is read whole.
 */
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { type Agent, type IncomingHttpHeaders, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ServerProcess, startServer, stopServer } from '../../support/server-process.js'

/** One answer, read whole. */
export interface HttpAnswer {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

/** One request. */
export interface HttpRequest {
  readonly method: string
  /** Sent as is: already percent-encoded. */
  readonly path: string
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly body?: Uint8Array | string | undefined
  readonly agent?: Agent | undefined
}

/** Sends one request to 127.0.0.1:`port` and reads the whole answer. */
export function send(port: number, r: HttpRequest): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: r.method,
        path: r.path,
        headers: r.headers,
        agent: r.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.once('error', reject)
        res.once('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        )
      },
    )
    req.once('error', reject)
    req.end(r.body)
  })
}

/** The `code` of a JSON error answer (undefined when the body is not one). */
export function errorCode(a: HttpAnswer): string | undefined {
  if (!String(a.headers['content-type']).startsWith('application/json')) return undefined
  try {
    return (JSON.parse(a.body.toString('utf8')) as { code?: string }).code
  } catch {
    return undefined
  }
}

/** A spawned server in a scratch directory (fs local, fs remote, SQLite metadata). */
export interface ScratchServer {
  readonly process: ServerProcess
  readonly port: number
  /** Headers every authorised request carries. */
  readonly auth: Readonly<Record<string, string>>
  readonly token: string | undefined
  dispose(): Promise<void>
}

/** Options of {@link startScratchServer}. */
export interface ScratchServerOptions {
  readonly token?: string | undefined
  /** `--max-body` value, e.g. `1MiB`. */
  readonly maxBody?: string | undefined
}

/** Starts `ditto-blockstore serve` on 127.0.0.1 with every store in a fresh temp directory. */
export async function startScratchServer(o: ScratchServerOptions = {}): Promise<ScratchServer> {
  const dir = await mkdtemp(join(tmpdir(), 'ditto-http-campaign-'))
  const args = ['--data-dir', join(dir, 'data'), '--remote', `file://${join(dir, 'remote')}`]
  if (o.maxBody !== undefined) args.push('--max-body', o.maxBody)
  let proc: ServerProcess
  try {
    proc = await startServer(args, o.token === undefined ? {} : { DITTO_TOKEN: o.token })
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw err
  }
  return {
    process: proc,
    port: Number(new URL(proc.url).port),
    auth: o.token === undefined ? {} : { authorization: `Bearer ${o.token}` },
    token: o.token,
    async dispose(): Promise<void> {
      try {
        const code = await stopServer(proc)
        if (code !== 0) throw new Error(`server exited with ${code}:\n${proc.stderr()}`)
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    },
  }
}

/** Percent-encodes a payload ID for a URL path (each segment, keeping `/`). */
export function encodeId(id: string): string {
  return id.split('/').map(encodeURIComponent).join('/')
}

/**
 * Everything a client can observe of the store: every payload's record (size, creation and
 * modification times) and the SHA-256 of its bytes, in ID order.
 */
export async function apiSnapshot(s: ScratchServer): Promise<string> {
  const lines: string[] = []
  let cursor = ''
  for (;;) {
    const q = `limit=1000${cursor === '' ? '' : `&cursor=${encodeURIComponent(cursor)}`}`
    const page = await send(s.port, { method: 'GET', path: `/v1/payloads?${q}`, headers: s.auth })
    if (page.status !== 200) throw new Error(`list answered ${page.status}: ${page.body}`)
    const { items, nextCursor } = JSON.parse(page.body.toString('utf8')) as {
      items: { id: string; size: number; createdAt: number; modifiedAt: number }[]
      nextCursor?: string
    }
    for (const r of items) {
      const got = await send(s.port, {
        method: 'GET',
        path: `/v1/payloads/${encodeId(r.id)}`,
        headers: s.auth,
      })
      const digest = createHash('sha256').update(got.body).digest('hex')
      lines.push(
        `${JSON.stringify(r.id)} ${r.size} ${r.createdAt} ${r.modifiedAt} ${got.status} ${digest}`,
      )
    }
    if (nextCursor === undefined) return lines.join('\n')
    cursor = nextCursor
  }
}
