/**
 * The HTTP server over one engine (node:http, no framework). It owns its in-flight requests:
 * shutdown stops accepting, lets them finish within a budget, aborts the rest, then flushes
 * every payload written since its last flush. The engine stays open: its owner closes it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { BlockStore } from '../core/block-store.js'
import { BlockStoreError, isBlockStoreError } from '../core/errors.js'
import { handleAdmin } from './admin-handlers.js'
import { BearerAuth, isLoopbackHost } from './auth.js'
import { errorBody, sendError } from './http-io.js'
import { lingerThenClose } from './linger.js'
import { ServerMetrics } from './metrics.js'
import { handleAction, handlePayload } from './payload-handlers.js'
import type { GcRunner, RequestContext } from './request-context.js'
import { matchRoute } from './router.js'

/**
 * One line per failed request: method, path (without the query, which may carry names a log
 * reader need not see), status, code, duration; "aborted" when the body had already started
 * and the connection was cut instead.
 */
function failureLine(
  req: IncomingMessage,
  res: ServerResponse,
  err: unknown,
  signal: AbortSignal,
  aborted: boolean,
  ms: number,
): string {
  const path = (req.url ?? '/').split('?')[0]
  const code = !isBlockStoreError(err) && signal.aborted ? 'client went away' : errorBody(err).code
  const status = aborted ? `${res.statusCode} aborted` : String(res.statusCode)
  const message = isBlockStoreError(err) ? `: ${err.message}` : ''
  return `${req.method} ${path} ${status} ${code} ${ms.toFixed(0)}ms${message}`
}

/** Largest request head (request line plus headers). */
export const MaxHeaderBytes = 16 * 1024

/**
 * Default TCP port of the server. Defined here, where it applies; the configuration layer
 * (`src/app`) imports it so what `config` prints is what a bare `listen` uses.
 */
export const DefaultPort = 7474
/** Default largest request body: 64 GiB. */
export const DefaultMaxBody = 64 * 1024 ** 3
/**
 * Default shutdown budget: what {@link BlockStoreServer.shutdown} gives in-flight requests,
 * and what `serve` gives requests plus the upload drain.
 */
export const DefaultShutdownTimeoutMs = 30_000

/** Where the server reports what it cannot answer with (never a token or a body). */
export interface ServerLogger {
  warn(message: string): void
  error(message: string, err: unknown): void
}

/** Options of {@link BlockStoreServer.listen}. */
export interface BlockStoreServerOptions {
  readonly engine: BlockStore
  /** Default 127.0.0.1. Any non-loopback address requires `token`. */
  readonly host?: string | undefined
  /** Default 7474; 0 picks a free port. */
  readonly port?: number | undefined
  /** Bearer token every request must carry (none: no authentication). */
  readonly token?: string | undefined
  /** Largest request body (default 64 GiB). */
  readonly maxBodyBytes?: number | undefined
  /** Garbage collection; without it `POST /v1/gc` answers 501 BS_NOT_SUPPORTED. */
  readonly gc?: GcRunner | undefined
  readonly logger?: ServerLogger | undefined
}

/** What {@link BlockStoreServer.shutdown} did. */
export interface ShutdownReport {
  /** Requests still running when the budget ran out, aborted. */
  readonly requestsAborted: number
  /** Payloads flushed because a request wrote them without a flush. */
  readonly payloadsFlushed: number
  /** Payloads whose flush failed (their data is still in the local tier). */
  readonly flushFailures: readonly { id: string; code: string; message: string }[]
}

/** An HTTP server serving one engine. */
export class BlockStoreServer implements AsyncDisposable {
  readonly #server: Server
  readonly #engine: BlockStore
  readonly #auth: BearerAuth | undefined
  readonly #maxBody: number
  readonly #gc: GcRunner | undefined
  readonly #logger: ServerLogger | undefined
  readonly #inflight = new Map<Promise<void>, AbortController>()
  readonly #unflushed = new Set<string>()
  #closing: Promise<ShutdownReport> | undefined
  #url = ''
  /** This server's metrics (own registry). */
  readonly metrics = new ServerMetrics()

  private constructor(options: BlockStoreServerOptions) {
    this.#engine = options.engine
    this.#auth = options.token === undefined ? undefined : new BearerAuth(options.token)
    this.#maxBody = options.maxBodyBytes ?? DefaultMaxBody
    this.#gc = options.gc
    this.#logger = options.logger
    this.#server = createServer(
      { maxHeaderSize: MaxHeaderBytes, requestTimeout: 0, headersTimeout: 30_000 },
      (req, res) => this.#track(req, res),
    )
    this.#server.maxHeadersCount = 100
    // Long uploads have no overall deadline, but a connection idle for 2 minutes is dropped.
    this.#server.setTimeout(120_000)
  }

  /**
   * Starts listening.
   * @throws {BlockStoreError} BS_INVALID_CONFIG when binding beyond loopback without a token.
   */
  static async listen(options: BlockStoreServerOptions): Promise<BlockStoreServer> {
    const host = options.host ?? '127.0.0.1'
    if (!isLoopbackHost(host) && (options.token === undefined || options.token === '')) {
      throw new BlockStoreError('BS_INVALID_CONFIG', `binding to ${host} requires a token`)
    }
    const server = new BlockStoreServer(options)
    await new Promise<void>((resolve, reject) => {
      server.#server.once('error', reject)
      server.#server.listen(options.port ?? DefaultPort, host, () => {
        server.#server.off('error', reject)
        const { address, family, port } = server.address
        server.#url = `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`
        resolve()
      })
    })
    server.metrics.eventLoopDelay.start()
    return server
  }

  /** The bound address (while listening). */
  get address(): AddressInfo {
    return this.#server.address() as AddressInfo
  }

  /** Base URL, e.g. `http://127.0.0.1:7474`. */
  get url(): string {
    return this.#url
  }

  /** Requests being handled right now. */
  get requestsInFlight(): number {
    return this.#inflight.size
  }

  #track(req: IncomingMessage, res: ServerResponse): void {
    const controller = new AbortController()
    res.once('close', () => {
      if (!res.writableFinished) controller.abort(new Error('client went away'))
    })
    const done = this.#handle(req, res, controller.signal).finally(() => {
      this.#inflight.delete(done)
      if (this.#closing !== undefined) this.#server.closeIdleConnections()
    })
    this.#inflight.set(done, controller)
  }

  async #handle(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const started = performance.now()
    let routeName = 'unknown'
    try {
      if (this.#closing !== undefined) {
        res.setHeader('Connection', 'close')
        throw new BlockStoreError('BS_UNAVAILABLE', 'server is shutting down')
      }
      if (this.#auth !== undefined && !this.#auth.check(req.headers.authorization)) {
        throw new BlockStoreError('BS_UNAUTHORIZED', 'missing or invalid bearer token')
      }
      const { route, query } = matchRoute(req.method ?? 'GET', req.url ?? '/')
      routeName = route.kind === 'action' ? `action_${route.action}` : route.kind
      const ctx: RequestContext = {
        engine: this.#engine,
        req,
        res,
        query,
        signal,
        maxBodyBytes: this.#maxBody,
        metrics: this.metrics,
        unflushed: this.#unflushed,
        gc: this.#gc,
      }
      if (route.kind === 'payload') await handlePayload(ctx, route.method, route.id)
      else if (route.kind === 'action') await handleAction(ctx, route.action, route.id)
      else await handleAdmin(ctx, route.kind)
    } catch (err) {
      if (!isBlockStoreError(err) && !signal.aborted) {
        this.#logger?.error(`${req.method} ${routeName} failed`, err)
      }
      const aborted = res.headersSent
      if (!res.destroyed) {
        sendError(res, err)
        // The unread rest of a refused body is read for a bounded time and size, then the
        // connection closes: the client can read the error, but cannot stream to us forever.
        if (!aborted) lingerThenClose(req, res)
      }
      this.#logger?.warn(failureLine(req, res, err, signal, aborted, performance.now() - started))
    } finally {
      this.metrics.observeRequest(
        routeName,
        req.method ?? '?',
        res.statusCode,
        (performance.now() - started) / 1000,
      )
    }
  }

  /**
   * Stops accepting, waits up to `timeoutMs` for in-flight requests (then aborts them), and
   * flushes every payload written without a flush. Idempotent.
   */
  shutdown(timeoutMs = DefaultShutdownTimeoutMs): Promise<ShutdownReport> {
    this.#closing ??= this.#shutdown(timeoutMs)
    return this.#closing
  }

  async #shutdown(timeoutMs: number): Promise<ShutdownReport> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    this.#server.closeIdleConnections()
    let timer: NodeJS.Timeout | undefined
    const expired = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs)
      timer.unref()
    })
    // Connections that never got a whole request head also hold `closed` until the budget ends.
    const settled = Promise.all([Promise.allSettled(this.#inflight.keys()), closed])
    const outcome = await Promise.race([settled, expired])
    clearTimeout(timer)
    let requestsAborted = 0
    if (outcome === 'timeout') {
      requestsAborted = this.#inflight.size
      for (const controller of this.#inflight.values()) {
        controller.abort(new BlockStoreError('BS_UNAVAILABLE', 'server shut down'))
      }
      this.#server.closeAllConnections()
      await settled
    }
    // One batch: the flushes run together, so their syncs are shared underneath.
    const ids = [...this.#unflushed]
    const batch = await this.#engine.flushMany(ids).catch((err: unknown) => ({
      // The whole batch refused (the engine closed under us): none of them is flushed.
      results: [],
      failures: ids.map((payloadId) => ({
        payloadId,
        code: isBlockStoreError(err) ? err.code : 'BS_INTERNAL',
        message: err instanceof Error ? err.message : String(err),
      })),
    }))
    const payloadsFlushed = batch.results.length
    const flushFailures = batch.failures
      // A payload deleted meanwhile has nothing left to flush.
      .filter((f) => f.code !== 'BS_CONTENT_NOT_FOUND')
      .map((f) => ({ id: f.payloadId, code: f.code, message: f.message }))
    this.#unflushed.clear()
    this.metrics.eventLoopDelay.stop()
    return { requestsAborted, payloadsFlushed, flushFailures }
  }

  /** Shuts down with the default budget. */
  async close(): Promise<void> {
    await this.shutdown()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
