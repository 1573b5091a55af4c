/**
 * Bounded "lingering close" for a request answered before its body was read (a 401, a bad ID).
 * Closing at once makes a client still sending its body (fetch, the CLI) fail with EPIPE
 * instead of reading the answer; reading on without end lets an unauthenticated client
 * stream to us for as long as it likes. So the rest of the body is read and discarded (Node
 * does that for a keep-alive connection) for a bounded time and size, then the connection is
 * closed; a client that finishes its body within the bounds keeps its connection.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

/** Longest the rest of a refused body is read for. */
export const LingerMaxMs = 5_000
/** Longest a refused body may pause before the connection is closed. */
export const LingerIdleMs = 500
/** Most bytes read of a refused body before the connection is closed. */
export const LingerMaxBytes = 8 * 1024 * 1024

const CHECK_MS = 50

/** True when the request announced a body that has not been read to its end. */
export function hasUnreadBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length']
  const announced =
    req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
  return announced && !req.complete
}

/**
 * Once `res` is sent, bounds how long and how much of `req`'s unread body is read before
 * the connection is closed. Call it for a response sent before the body was read.
 */
export function lingerThenClose(req: IncomingMessage, res: ServerResponse): void {
  // A response that closes the connection itself (413) is not kept open to read more.
  if (!hasUnreadBody(req) || /close/i.test(String(res.getHeader('connection') ?? ''))) return
  const socket = req.socket
  const started = Date.now()
  const firstByte = socket.bytesRead
  let seen = firstByte
  let lastProgress = started
  const timer = setInterval(() => {
    const now = Date.now()
    if (req.complete || socket.destroyed) return stop()
    if (socket.bytesRead !== seen) {
      seen = socket.bytesRead
      lastProgress = now
    }
    if (
      now - started > LingerMaxMs ||
      now - lastProgress > LingerIdleMs ||
      seen - firstByte > LingerMaxBytes
    ) {
      stop()
      socket.destroy()
    }
  }, CHECK_MS)
  timer.unref()
  const stop = (): void => clearInterval(timer)
  socket.once('close', stop)
  res.once('close', () => {
    if (req.complete) stop()
  })
}
