/**
 * A fault-injecting HTTP proxy on 127.0.0.1 in front of a real S3 server. Each fault applies
 * to requests whose method matches (default: every request): error responses (500, 503
 * SlowDown, 403), added latency, hangs, connection resets mid-body, truncated and corrupted
 * response bodies. Counts what it injected.
 */
import {
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** What the proxy does to matching requests. */
export type Fault =
  | { readonly kind: 'none' }
  | { readonly kind: 'status'; readonly status: 500 | 503 | 403; readonly code: string }
  | { readonly kind: 'latency'; readonly ms: number }
  | { readonly kind: 'hang' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'truncate' }
  | { readonly kind: 'corrupt' }

/** A running proxy. */
export interface FaultProxy {
  readonly endpoint: string
  /** Sets the fault for requests of `method` whose path contains `path` (undefined: all). */
  set(fault: Fault, method?: string, path?: string): void
  readonly injected: Record<string, number>
  close(): Promise<void>
}

/** Starts a proxy to `target` (http://127.0.0.1:port) on a free loopback port. */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target)
  let fault: Fault = { kind: 'none' }
  let onlyMethod: string | undefined
  let onlyPath: string | undefined
  const injected: Record<string, number> = {}
  const sockets = new Set<Socket>()
  const count = (k: string): void => {
    injected[k] = (injected[k] ?? 0) + 1
  }
  const forward = (req: IncomingMessage, res: ServerResponse, f: Fault): void => {
    const up = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (upRes) => {
        if (
          f.kind === 'none' ||
          f.kind === 'latency' ||
          req.method !== 'GET' ||
          (upRes.statusCode !== 200 && upRes.statusCode !== 206)
        ) {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers)
          upRes.pipe(res)
          return
        }
        const chunks: Buffer[] = []
        upRes.on('data', (c: Buffer) => chunks.push(c))
        upRes.on('end', () => {
          const body = Buffer.concat(chunks)
          count(f.kind)
          if (f.kind === 'corrupt') {
            if (body.length > 0) body[body.length >> 1] = (body[body.length >> 1] ?? 0) ^ 0xff
            res.writeHead(upRes.statusCode ?? 200, upRes.headers)
            res.end(body)
          } else if (f.kind === 'truncate') {
            const short = body.subarray(0, body.length >> 1)
            res.writeHead(upRes.statusCode ?? 200, {
              ...upRes.headers,
              'content-length': String(short.length),
            })
            res.end(short)
          } else {
            // reset: headers and half the body, then the connection dies.
            res.writeHead(upRes.statusCode ?? 200, upRes.headers)
            res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy())
          }
        })
      },
    )
    up.on('error', () => res.destroy())
    req.pipe(up)
  }
  const server: Server = createServer((req, res) => {
    const matches =
      (onlyMethod === undefined || req.method === onlyMethod) &&
      (onlyPath === undefined || (req.url ?? '').includes(onlyPath))
    const f = matches ? fault : { kind: 'none' as const }
    if (f.kind === 'status') {
      count(`status${f.status}`)
      req.resume()
      res.writeHead(f.status, { 'content-type': 'application/xml' })
      res.end(
        `<?xml version="1.0"?><Error><Code>${f.code}</Code><Message>injected</Message></Error>`,
      )
    } else if (f.kind === 'hang') {
      count('hang')
      req.resume()
    } else if (f.kind === 'latency') {
      count('latency')
      setTimeout(() => forward(req, res, f), f.ms)
    } else {
      forward(req, res, f)
    }
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    injected,
    set(f, method, path) {
      fault = f
      onlyMethod = method
      onlyPath = path
    },
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
