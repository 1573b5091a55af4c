/**
 * Endpoints over the whole store: listing, stats, health, batch flush, drain, garbage collection,
 * eviction and the Prometheus exposition.
 */
import { BlockStoreError } from '../core/errors.js'
import { MinGcGracePeriodMs } from '../core/gc.js'
import { assertPayloadId } from '../core/payload-id.js'
import { formatDuration, parseDuration } from '../core/units.js'
import { handleFlush } from './flush-handler.js'
import { queryBoolean, queryInteger, sendJson } from './http-io.js'
import type { RequestContext } from './request-context.js'
import type { Route } from './router.js'

/** Largest page of `GET /v1/payloads`. */
export const MaxListLimit = 10_000

async function list(ctx: RequestContext): Promise<void> {
  const limit = queryInteger(ctx.query, 'limit', 'BS_INVALID_ARGUMENT', false)
  if (limit !== undefined && (limit < 1 || limit > MaxListLimit)) {
    throw new BlockStoreError('BS_INVALID_ARGUMENT', `limit must be between 1 and ${MaxListLimit}`)
  }
  const prefix = ctx.query.get('prefix') ?? undefined
  const cursor = ctx.query.get('cursor') ?? undefined
  const page = await ctx.engine.listPayloads({
    ...(prefix === undefined ? {} : { prefix }),
    ...(cursor === undefined || cursor === '' ? {} : { cursor }),
    ...(limit === undefined ? {} : { limit }),
    signal: ctx.signal,
  })
  sendJson(ctx.res, 200, page)
}

/** Signal of the request, cut short by an optional `?timeout=30s`. */
function withTimeout(ctx: RequestContext): AbortSignal {
  const text = ctx.query.get('timeout')
  if (text === null) return ctx.signal
  let ms: number
  try {
    ms = parseDuration(text, 'timeout')
  } catch {
    throw new BlockStoreError('BS_INVALID_ARGUMENT', `timeout "${text}" is not a duration`)
  }
  return AbortSignal.any([ctx.signal, AbortSignal.timeout(Math.max(1, ms))])
}

async function drain(ctx: RequestContext): Promise<void> {
  const signal = withTimeout(ctx)
  try {
    sendJson(ctx.res, 200, await ctx.engine.drainAllUploads({ signal }))
  } catch (err) {
    if (signal.aborted && !ctx.signal.aborted) {
      throw new BlockStoreError('BS_UNAVAILABLE', 'drain did not finish within the timeout', {
        cause: err,
      })
    }
    throw err
  }
}

async function evict(ctx: RequestContext): Promise<void> {
  const payloadId = ctx.query.get('payload') ?? undefined
  if (payloadId !== undefined) assertPayloadId(payloadId)
  const readBuffer = queryBoolean(ctx.query, 'readBuffer')
  const local = queryBoolean(ctx.query, 'local')
  const report = await ctx.engine.evict({
    ...(readBuffer === undefined ? {} : { readBuffer }),
    ...(local === undefined ? {} : { local }),
    ...(payloadId === undefined ? {} : { payloadId }),
    signal: ctx.signal,
  })
  sendJson(ctx.res, 200, report)
}

/** `?gracePeriod=90m` (or plain milliseconds), never under the engine's floor. */
function gracePeriod(ctx: RequestContext): number | undefined {
  const text = ctx.query.get('gracePeriod')
  if (text === null) return undefined
  let ms: number
  try {
    ms = parseDuration(text, 'gracePeriod')
  } catch {
    throw new BlockStoreError(
      'BS_INVALID_ARGUMENT',
      `gracePeriod "${text}" is not a duration (e.g. 90m, 2h, 3600s, or milliseconds)`,
    )
  }
  // Checked here so a client gets a 400 naming the floor; the engine would refuse it too.
  if (ms < MinGcGracePeriodMs) {
    throw new BlockStoreError(
      'BS_INVALID_ARGUMENT',
      `gracePeriod "${text}" is under the ${formatDuration(MinGcGracePeriodMs)} floor: a younger unreferenced object may belong to an upload whose row is not committed yet`,
    )
  }
  return ms
}

async function gc(ctx: RequestContext): Promise<void> {
  const dryRun = queryBoolean(ctx.query, 'dryRun') ?? false
  const gracePeriodMs = gracePeriod(ctx)
  const maxDeletions = queryInteger(ctx.query, 'maxDeletions', 'BS_INVALID_ARGUMENT', false)
  const prefix = ctx.query.get('prefix') ?? undefined
  const signal = withTimeout(ctx)
  const options = {
    dryRun,
    ...(prefix === undefined ? {} : { prefix }),
    ...(maxDeletions === undefined ? {} : { maxDeletions }),
    ...(gracePeriodMs === undefined ? {} : { gracePeriodMs }),
    signal,
  }
  // The engine collects itself unless the server was given another runner; a local-only
  // engine answers BS_NOT_SUPPORTED (501): it has no remote objects.
  const report =
    ctx.gc === undefined ? await ctx.engine.collectGarbage(options) : await ctx.gc(options)
  sendJson(ctx.res, 200, report)
}

/** Serves an endpoint that is not about one payload. */
export async function handleAdmin(
  ctx: RequestContext,
  kind: Exclude<Route['kind'], 'payload' | 'action'>,
): Promise<void> {
  const { engine, res, signal } = ctx
  switch (kind) {
    case 'list':
      return list(ctx)
    case 'stats':
      return sendJson(res, 200, await engine.stats({ signal }))
    case 'health': {
      const report = await engine.healthcheck({ signal })
      const ok = report.status === 'healthy' || report.status === 'degraded'
      return sendJson(res, ok ? 200 : 503, report)
    }
    case 'flush':
      return handleFlush(ctx)
    case 'drain':
      return drain(ctx)
    case 'gc':
      return gc(ctx)
    case 'evict':
      return evict(ctx)
    case 'metrics': {
      const text = await ctx.metrics.render(engine)
      res.writeHead(200, { 'Content-Type': ctx.metrics.contentType, 'Cache-Control': 'no-store' })
      res.end(text)
      return
    }
  }
}
