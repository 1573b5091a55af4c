/**
 * `/v1/payloads/{id}` endpoints: streamed PUT and PATCH bodies, GET and HEAD with RFC 9110
 * ranges and validators, DELETE, and the truncate, flush and copy actions.
 */
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { BlockStoreError } from '../core/errors.js'
import type { PayloadRecord } from '../core/metadata-store.js'
import { assertPayloadId } from '../core/payload-id.js'
import { queryInteger, sendJson } from './http-io.js'
import { readToStream, writeFromStream } from './payload-stream.js'
import {
  type ByteRange,
  contentRange,
  evaluateRange,
  multipartFraming,
  type RangeDecision,
} from './range.js'
import type { RequestContext } from './request-context.js'
import type { PayloadAction, PayloadMethod } from './router.js'

/** The weak entity tag of a payload record (size and modification time). */
export function payloadEtag(rec: PayloadRecord): string {
  return `W/"${rec.size.toString(16)}-${rec.modifiedAt.toString(16)}"`
}

function declaredLength(ctx: RequestContext): number | undefined {
  const header = ctx.req.headers['content-length']
  if (header === undefined) return undefined
  const n = Number(header)
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new BlockStoreError('BS_INVALID_ARGUMENT', 'invalid Content-Length')
  }
  if (n > ctx.maxBodyBytes) {
    ctx.res.setHeader('Connection', 'close')
    throw new BlockStoreError(
      'BS_TOO_LARGE',
      `body of ${n} bytes exceeds the limit of ${ctx.maxBodyBytes} bytes`,
    )
  }
  return n
}

async function writeBody(ctx: RequestContext, id: string, offset: number): Promise<number> {
  const written = await writeFromStream(ctx.engine, id, ctx.req, {
    offset,
    maxBytes: ctx.maxBodyBytes,
    signal: ctx.signal,
  }).catch((err: unknown) => {
    ctx.res.setHeader('Connection', 'close')
    throw err
  })
  ctx.metrics.observeBody('in', written)
  return written
}

async function putPayload(ctx: RequestContext, id: string): Promise<void> {
  declaredLength(ctx)
  const { engine, signal } = ctx
  const existed = await engine.exists(id, { signal })
  // All or nothing: the body goes to a hidden staging payload, flushed and then renamed onto
  // `id` in one commit. A short body, a disconnect, a body over the limit or a kill leaves
  // `id` exactly as it was (and absent if it was).
  const replacement = await engine.beginReplace(id, { signal })
  try {
    const sink = {
      writeAt: (_: string, data: Uint8Array, at: number) =>
        replacement.writeAt(data, at, { signal }),
    }
    const written = await writeFromStream(sink, id, ctx.req, {
      maxBytes: ctx.maxBodyBytes,
      signal,
    })
    ctx.metrics.observeBody('in', written)
    const { size, finalized } = await replacement.commit({ signal })
    sendJson(ctx.res, existed ? 200 : 201, { id, size, finalized })
  } catch (err) {
    ctx.res.setHeader('Connection', 'close')
    await replacement.abort().catch(() => {})
    throw err
  }
}

async function patchPayload(ctx: RequestContext, id: string): Promise<void> {
  const offset = queryInteger(ctx.query, 'offset', 'BS_INVALID_OFFSET', true) ?? 0
  declaredLength(ctx)
  ctx.unflushed.add(id)
  const written = await writeBody(ctx, id, offset)
  // An empty body writes nothing and creates nothing: the size is reported as it is.
  const size = await sizeOr0(ctx, id)
  sendJson(ctx.res, 200, { id, offset, written, size })
}

async function sizeOr0(ctx: RequestContext, id: string): Promise<number> {
  return (await ctx.engine.exists(id, { signal: ctx.signal }))
    ? ctx.engine.getSize(id, { signal: ctx.signal })
    : 0
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value
}

function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  const bare = (t: string): string => t.trim().replace(/^W\//, '')
  return header.trim() === '*' || header.split(',').some((t) => bare(t) === bare(etag))
}

/** RFC 9110 §13.1.5: a range is honoured only when If-Range names a strong validator match. */
function ifRangeAllows(header: string | undefined, rec: PayloadRecord): boolean {
  if (header === undefined) return true
  // Our entity tags are weak, so an entity-tag If-Range never matches.
  if (header.trim().startsWith('"') || header.trim().startsWith('W/')) return false
  const date = Date.parse(header)
  const lastModifiedSecond = Math.floor(rec.modifiedAt / 1000) * 1000
  // A Last-Modified date is strong only when at least one second older than now.
  return date === lastModifiedSecond && Date.now() - rec.modifiedAt >= 1000
}

async function getPayload(ctx: RequestContext, id: string, head: boolean): Promise<void> {
  const { engine, req, res, signal } = ctx
  const rec = await engine.stat(id, { signal })
  const etag = payloadEtag(rec)
  res.setHeader('Accept-Ranges', 'bytes')
  res.setHeader('ETag', etag)
  res.setHeader('Last-Modified', new Date(rec.modifiedAt).toUTCString())
  res.setHeader('Cache-Control', 'no-cache')
  if (ifNoneMatch(req.headers['if-none-match'], etag)) {
    res.writeHead(304).end()
    return
  }
  // Range handling is defined for GET only (RFC 9110 §14.2): HEAD describes the whole.
  const decision: RangeDecision =
    !head && ifRangeAllows(single(req.headers['if-range']), rec)
      ? evaluateRange(req.headers.range, rec.size)
      : { kind: 'full' }
  if (decision.kind === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${rec.size}`)
    throw new BlockStoreError('BS_INVALID_OFFSET', `range not satisfiable for size ${rec.size}`)
  }
  const ranges: readonly ByteRange[] =
    decision.kind === 'full' ? [{ start: 0, end: rec.size - 1 }] : decision.ranges
  const parts: (ByteRange | string)[] = []
  if (decision.kind === 'partial' && ranges.length > 1) {
    const framing = multipartFraming(ranges, rec.size, randomBytes(12).toString('hex'))
    res.writeHead(206, {
      'Content-Type': framing.contentType,
      'Content-Length': framing.contentLength,
    })
    for (const [i, r] of ranges.entries()) parts.push(framing.partHeaders[i]!, r)
    parts.push(framing.trailer)
  } else {
    const only = ranges[0]!
    const length = rec.size === 0 ? 0 : only.end - only.start + 1
    res.writeHead(decision.kind === 'partial' ? 206 : 200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': length,
      ...(decision.kind === 'partial' ? { 'Content-Range': contentRange(only, rec.size) } : {}),
    })
    if (length > 0) parts.push(only)
  }
  if (head) {
    res.end()
    return
  }
  const metrics = ctx.metrics
  async function* body(): AsyncGenerator<Uint8Array | string> {
    for (const part of parts) {
      if (typeof part === 'string') {
        yield part
        continue
      }
      for await (const chunk of readToStream(engine, id, part.start, part.end + 1, { signal })) {
        metrics.observeBody('out', chunk.byteLength)
        yield chunk
      }
    }
  }
  await pipeline(Readable.from(body(), { objectMode: false }), res, { signal })
}

/** Serves a method on `/v1/payloads/{id}`. */
export async function handlePayload(
  ctx: RequestContext,
  method: PayloadMethod,
  id: string,
): Promise<void> {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return getPayload(ctx, id, method === 'HEAD')
    case 'PUT':
      return putPayload(ctx, id)
    case 'PATCH':
      return patchPayload(ctx, id)
    case 'DELETE':
      await ctx.engine.delete(id, { signal: ctx.signal })
      ctx.unflushed.delete(id)
      ctx.res.writeHead(204).end()
      return
  }
}

/** Serves `POST /v1/payloads/{id}/{action}`. */
export async function handleAction(
  ctx: RequestContext,
  action: PayloadAction,
  id: string,
): Promise<void> {
  const { engine, signal } = ctx
  switch (action) {
    case 'truncate': {
      const size = queryInteger(ctx.query, 'size', 'BS_INVALID_SIZE', true) ?? 0
      ctx.unflushed.add(id)
      await engine.truncate(id, size, { signal })
      return sendJson(ctx.res, 200, { id, size })
    }
    case 'flush': {
      const { finalized } = await engine.flush(id, { signal })
      ctx.unflushed.delete(id)
      return sendJson(ctx.res, 200, { id, finalized })
    }
    case 'copy': {
      const to = ctx.query.get('to')
      if (to === null)
        throw new BlockStoreError('BS_INVALID_ARGUMENT', 'query parameter "to" is required')
      assertPayloadId(to)
      ctx.unflushed.add(to)
      const blocksCopied = await engine.copyPayload(id, to, { signal })
      return sendJson(ctx.res, 200, { from: id, to, blocksCopied })
    }
  }
}
