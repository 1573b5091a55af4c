/**
 * A tiny programmable HTTP server on 127.0.0.1 that plays a broken S3 (errors, throttling,
 * silence), for the fault tests a real server cannot produce on demand.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Answers one request; returning without ending the response leaves the client hanging. */
export type StubHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void

/** A running stub. */
export interface StubS3 {
  readonly endpoint: string
  /** Requests received, as "METHOD /path?query". */
  readonly requests: string[]
  /** Replaces the handler. */
  handle(handler: StubHandler): void
  close(): Promise<void>
}

/** An S3 error response. */
export function s3Error(res: ServerResponse, status: number, code: string): void {
  res.writeHead(status, { 'content-type': 'application/xml' })
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code} from stub</Message></Error>`,
  )
}

/** Starts a stub whose HEAD of `/bucket` succeeds (so `open` works) and which 200s the rest. */
export async function startStubS3(): Promise<StubS3> {
  const requests: string[] = []
  let handler: StubHandler = (_req, res) => res.end()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      requests.push(`${req.method} ${req.url}`)
      if (req.method === 'HEAD' && (req.url === '/bucket' || req.url === '/bucket/')) {
        res.end()
        return
      }
      handler(req, res, Buffer.concat(chunks))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    handle(h) {
      handler = h
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
