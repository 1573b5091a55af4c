/**
 * `POST /v1/flush`: many payloads made durable in one request (`engine.flushMany`, or
 * `engine.flushAll` for every payload with unflushed changes). The JSON body is small and
 * read whole, under its own limit, far below the payload body limit.
 */
import type { FlushManyResult } from '../core/block-store.js'
import { MaxFlushIds } from '../core/constants.js'
import { BlockStoreError, isBlockStoreError, toHttpStatus } from '../core/errors.js'
import { queryBoolean, sendJson } from './http-io.js'
import type { RequestContext } from './request-context.js'

/** Largest `POST /v1/flush` body: room for {@link MaxFlushIds} IDs of ordinary length. */
export const MaxFlushBodyBytes = 1024 * 1024

/** What the request asks for: named IDs, or every payload with unflushed changes. */
type FlushRequest = { readonly all: true } | { readonly all: false; readonly ids: string[] }

const invalid = (message: string): BlockStoreError =>
  new BlockStoreError('BS_INVALID_ARGUMENT', message)

async function readSmallBody(ctx: RequestContext): Promise<string> {
  const tooLarge = (): BlockStoreError => {
    ctx.res.setHeader('Connection', 'close')
    return new BlockStoreError(
      'BS_TOO_LARGE',
      `flush request body exceeds the limit of ${MaxFlushBodyBytes} bytes`,
    )
  }
  const declared = Number(ctx.req.headers['content-length'] ?? 0)
  if (declared > MaxFlushBodyBytes) throw tooLarge()
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    total += chunk.length
    if (total > MaxFlushBodyBytes) throw tooLarge()
    chunks.push(chunk)
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks))
  } catch {
    throw invalid('flush request body is not valid UTF-8')
  }
}

/**
 * Reads `?all=1`, or a JSON body `{"ids": [...]}` or `{"all": true}`.
 * @throws {BlockStoreError} BS_INVALID_ARGUMENT (malformed, both or neither given, more than
 * {@link MaxFlushIds} IDs), BS_TOO_LARGE (body over {@link MaxFlushBodyBytes}).
 */
async function parseFlushRequest(ctx: RequestContext): Promise<FlushRequest> {
  const allQuery = queryBoolean(ctx.query, 'all')
  const text = await readSmallBody(ctx)
  let body: unknown = {}
  if (text.trim() !== '') {
    try {
      body = JSON.parse(text)
    } catch {
      throw invalid('flush request body is not valid JSON')
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('flush request body must be a JSON object: {"ids": [...]} or {"all": true}')
  }
  const { ids, all, ...rest } = body as Record<string, unknown>
  const unknown = Object.keys(rest)
  if (unknown.length > 0) throw invalid(`unknown field "${unknown[0]}" in the flush request`)
  if (all !== undefined && typeof all !== 'boolean') throw invalid('"all" must be a boolean')
  const wantsAll = all === true || allQuery === true
  if (ids !== undefined) {
    if (wantsAll) throw invalid('give either "ids" or "all", not both')
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
      throw invalid('"ids" must be an array of payload ID strings')
    }
    if (ids.length > MaxFlushIds) {
      throw invalid(`"ids" names ${ids.length} payloads, at most ${MaxFlushIds} allowed`)
    }
    return { all: false, ids }
  }
  if (!wantsAll) throw invalid('say what to flush: {"ids": [...]}, {"all": true} or ?all=1')
  return { all: true }
}

/** Serves `POST /v1/flush`. */
export async function handleFlush(ctx: RequestContext): Promise<void> {
  const request = await parseFlushRequest(ctx)
  const { engine, signal } = ctx
  const report: FlushManyResult = request.all
    ? await engine.flushAll({ signal })
    : await engine.flushMany(request.ids, { signal })
  for (const r of report.results) ctx.unflushed.delete(r.payloadId)
  const results = report.results.map((r) => ({ id: r.payloadId, finalized: r.finalized }))
  const failures = report.failures.map((f) => ({
    id: f.payloadId,
    code: f.code,
    message: isBlockStoreError(f.error) ? f.message : 'internal error',
  }))
  const first = failures[0]
  if (first === undefined) return sendJson(ctx.res, 200, { results, failures })
  // Not all durable: the status says so (a client checking only it never takes a partial
  // batch for a success); the body still names what was flushed and what was not.
  sendJson(ctx.res, toHttpStatus(report.failures[0]?.error), {
    code: first.code,
    message: `${failures.length} of ${failures.length + results.length} payloads were not flushed (first: ${first.id}: ${first.message})`,
    results,
    failures,
  })
}
