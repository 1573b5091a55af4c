/**
 * `GET` and `HEAD /v1/payloads/{id}`: RFC 9110 validators and ranges (single and multipart).
 * The status line goes out only once the first chunk of the body has been read (see
 * body-out.ts), so every read failure before it is an ordinary JSON error response.
 */
import { randomBytes } from 'node:crypto'
import type { OutgoingHttpHeaders } from 'node:http'
import { BlockStoreError } from '../core/errors.js'
import type { PayloadRecord } from '../core/metadata-store.js'
import { sendPayloadBody } from './body-out.js'
import {
  type ByteRange,
  contentRange,
  evaluateRange,
  multipartFraming,
  type RangeDecision,
} from './range.js'
import type { RequestContext } from './request-context.js'

/** The weak entity tag of a payload record (size and modification time). */
export function payloadEtag(rec: PayloadRecord): string {
  return `W/"${rec.size.toString(16)}-${rec.modifiedAt.toString(16)}"`
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

/** Serves GET (`head` false) or HEAD of a payload. */
export async function getPayload(ctx: RequestContext, id: string, head: boolean): Promise<void> {
  const { engine, req, res, signal } = ctx
  const rec = await engine.stat(id, { signal })
  const etag = payloadEtag(rec)
  const validators: OutgoingHttpHeaders = {
    'Accept-Ranges': 'bytes',
    ETag: etag,
    'Last-Modified': new Date(rec.modifiedAt).toUTCString(),
    'Cache-Control': 'no-cache',
  }
  if (ifNoneMatch(req.headers['if-none-match'], etag)) {
    res.writeHead(304, validators).end()
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
  let status = 200
  let headers: OutgoingHttpHeaders
  if (decision.kind === 'partial' && ranges.length > 1) {
    const framing = multipartFraming(ranges, rec.size, randomBytes(12).toString('hex'))
    status = 206
    headers = { 'Content-Type': framing.contentType, 'Content-Length': framing.contentLength }
    for (const [i, r] of ranges.entries()) parts.push(framing.partHeaders[i]!, r)
    parts.push(framing.trailer)
  } else {
    const only = ranges[0]!
    const length = rec.size === 0 ? 0 : only.end - only.start + 1
    headers = { 'Content-Type': 'application/octet-stream', 'Content-Length': length }
    if (decision.kind === 'partial') {
      status = 206
      headers['Content-Range'] = contentRange(only, rec.size)
    }
    if (length > 0) parts.push(only)
  }
  const writeHead = (): void => {
    res.writeHead(status, { ...validators, ...headers })
  }
  if (head) {
    writeHead()
    res.end()
    return
  }
  await sendPayloadBody(res, {
    engine,
    id,
    parts,
    signal,
    writeHead,
    onBytes: (n) => ctx.metrics.observeBody('out', n),
  })
}
