/**
 * `/v1/payloads/{id}` endpoints: streamed PUT and PATCH bodies, GET and HEAD with RFC 9110
 * ranges and validators, DELETE, and the truncate, flush and copy actions.
 */
import { BlockStoreError } from '../core/errors.js'
import { assertPayloadId } from '../core/payload-id.js'
import { writeFromStream } from '../engine/payload-stream.js'
import { getPayload } from './get-payload.js'
import { queryInteger, sendJson } from './http-io.js'
import type { RequestContext } from './request-context.js'
import type { PayloadAction, PayloadMethod } from './router.js'

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

async function writeBody(
  ctx: RequestContext,
  id: string,
  offset: number,
  expectedBytes: number | undefined,
): Promise<number> {
  const written = await writeFromStream(ctx.engine, id, ctx.req, {
    offset,
    maxBytes: ctx.maxBodyBytes,
    expectedBytes,
    signal: ctx.signal,
  }).catch((err: unknown) => {
    ctx.res.setHeader('Connection', 'close')
    throw err
  })
  ctx.metrics.observeBody('in', written)
  return written
}

async function putPayload(ctx: RequestContext, id: string): Promise<void> {
  const expectedBytes = declaredLength(ctx)
  const { engine, signal } = ctx
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
      expectedBytes,
      signal,
    })
    ctx.metrics.observeBody('in', written)
    const { size, finalized, created } = await replacement.commit({ signal })
    sendJson(ctx.res, created ? 201 : 200, { id, size, finalized })
  } catch (err) {
    ctx.res.setHeader('Connection', 'close')
    await replacement.abort().catch(() => {})
    throw err
  }
}

async function patchPayload(ctx: RequestContext, id: string): Promise<void> {
  const offset = queryInteger(ctx.query, 'offset', 'BS_INVALID_OFFSET', true) ?? 0
  const expectedBytes = declaredLength(ctx)
  ctx.unflushed.add(id)
  const written = await writeBody(ctx, id, offset, expectedBytes)
  // An empty body writes nothing and creates nothing: the size is reported as it is.
  const size = await sizeOr0(ctx, id)
  sendJson(ctx.res, 200, { id, offset, written, size })
}

async function sizeOr0(ctx: RequestContext, id: string): Promise<number> {
  return (await ctx.engine.exists(id, { signal: ctx.signal }))
    ? ctx.engine.getSize(id, { signal: ctx.signal })
    : 0
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
