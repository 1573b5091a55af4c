/**
 * Raw HTTP/1.1 over a loopback socket, for requests no well-behaved client sends: lying
 * Content-Length, unread bodies, unnormalised paths. Only 127.0.0.1 is ever dialled.
 */
import { connect } from 'node:net'

/** What came back on one raw connection. */
export interface RawExchange {
  /** Everything the server sent, decoded as latin1. */
  readonly text: string
  /** Status of the first response (NaN when none came). */
  readonly status: number
  /** The body of the first response when it is JSON, else undefined. */
  readonly json: { code?: string } | undefined
  /** True when the server ended the connection before `waitMs` ran out. */
  readonly closedByServer: boolean
}

/** Options of {@link rawExchange}. */
export interface RawExchangeOptions {
  /** Half-close after sending (default true); false keeps sending possible, like a slow upload. */
  readonly end?: boolean
  /** How long to wait for the server to close (default 2000 ms). */
  readonly waitMs?: number
}

/**
 * Opens a connection to 127.0.0.1:`port`, sends `head` (request line and headers, CRLF-ended)
 * then `body`, and collects the answer until the server closes or `waitMs` passes.
 */
export function rawExchange(
  port: number,
  head: string,
  body: Uint8Array = new Uint8Array(0),
  options: RawExchangeOptions = {},
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    let settled = false
    const finish = (closedByServer: boolean): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      const text = Buffer.concat(chunks).toString('latin1')
      resolve({ text, closedByServer, ...parseFirstResponse(text) })
    }
    const timer = setTimeout(() => finish(false), options.waitMs ?? 2000)
    socket.on('data', (d: Buffer) => chunks.push(d))
    // A reset after the server closed (we were still sending) is a close as well.
    socket.on('error', () => finish(true))
    socket.on('close', () => finish(true))
    socket.write(head)
    if (body.byteLength > 0) socket.write(body)
    if (options.end ?? true) socket.end()
  })
}

function parseFirstResponse(text: string): Pick<RawExchange, 'status' | 'json'> {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? Number.NaN)
  const split = text.indexOf('\r\n\r\n')
  const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(0, split))?.[1] ?? -1)
  if (split < 0 || length < 0 || !/\r\ncontent-type: application\/json/i.test(text)) {
    return { status, json: undefined }
  }
  try {
    return { status, json: JSON.parse(text.slice(split + 4, split + 4 + length)) }
  } catch {
    return { status, json: undefined }
  }
}

/** A request head: request line, `Host`, the given header lines, and the blank line. */
export function rawHead(method: string, target: string, headers: readonly string[] = []): string {
  return `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`
}
