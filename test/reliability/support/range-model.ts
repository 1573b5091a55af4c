/**
 * The model of RFC 9110 byte ranges the HTTP campaign checks answers against, written
 * independently of src/server/range.ts: specs as generated (positions as decimal strings,
 * possibly beyond 2^53), the bytes they select, and a checker of 200/206/416 answers.
 */
import type { HttpAnswer } from './http-client.js'

/** One generated range spec; positions are decimal digit strings. */
export type RangeSpec =
  | { readonly kind: 'closed'; readonly first: string; readonly last: string }
  | { readonly kind: 'open'; readonly first: string }
  | { readonly kind: 'suffix'; readonly length: string }

/** Inclusive byte interval. */
export type Interval = readonly [number, number]

/** The header text of a spec. */
export function specText(s: RangeSpec): string {
  if (s.kind === 'closed') return `${s.first}-${s.last}`
  return s.kind === 'open' ? `${s.first}-` : `-${s.length}`
}

/** The bytes the specs select of a `size`-byte payload, merged (overlapping or adjacent). */
export function selected(specs: readonly RangeSpec[], size: number): Interval[] {
  const picked: Interval[] = []
  const big = (digits: string): bigint => BigInt(digits)
  const n = BigInt(size)
  for (const s of specs) {
    if (s.kind === 'suffix') {
      const len = big(s.length)
      if (len > 0n && n > 0n) picked.push([Number(len >= n ? 0n : n - len), size - 1])
      continue
    }
    const first = big(s.first)
    if (first >= n) continue
    const last = s.kind === 'open' || big(s.last) >= n ? n - 1n : big(s.last)
    picked.push([Number(first), Number(last)])
  }
  picked.sort((a, b) => a[0] - b[0])
  const merged: [number, number][] = []
  for (const [a, b] of picked) {
    const prev = merged[merged.length - 1]
    if (prev !== undefined && a <= prev[1] + 1) prev[1] = Math.max(prev[1], b)
    else merged.push([a, b])
  }
  return merged
}

/** The parts of a `multipart/byteranges` body: each part's Content-Range and bytes. */
export function parseMultipart(
  body: Buffer,
  contentType: string,
): { range: string; bytes: Buffer }[] | string {
  const boundary = /boundary=([^;\s]+)/.exec(contentType)?.[1]
  if (boundary === undefined) return `no boundary in ${contentType}`
  const parts: { range: string; bytes: Buffer }[] = []
  const delimiter = Buffer.from(`--${boundary}`, 'latin1')
  let at: number = body.indexOf(delimiter)
  if (at !== 0) return 'body does not start with the boundary'
  for (;;) {
    at += delimiter.length
    if (body.subarray(at, at + 4).toString('latin1') === '--\r\n') {
      return at + 4 === body.length ? parts : 'bytes after the closing boundary'
    }
    const headEnd: number = body.indexOf('\r\n\r\n', at)
    if (headEnd < 0) return 'part without headers'
    const head = body.subarray(at, headEnd).toString('latin1')
    const range = /\r\nContent-Range: (.*)/i.exec(head)?.[1]
    if (range === undefined) return `part without Content-Range: ${head}`
    const m = /^bytes (\d+)-(\d+)\/\d+$/.exec(range)
    if (m === null) return `bad Content-Range ${range}`
    const start: number = headEnd + 4
    const end: number = start + Number(m[2]) - Number(m[1]) + 1
    parts.push({ range, bytes: body.subarray(start, end) })
    if (body.subarray(end, end + 2).toString('latin1') !== '\r\n')
      return 'part longer than its range'
    at = body.indexOf(delimiter, end)
    if (at !== end + 2) return 'no boundary after a part'
  }
}

/**
 * Checks a GET answer against the model: `expected` undefined means "the whole payload with
 * 200"; an empty list means 416; otherwise 206 with exactly these intervals and their bytes.
 * Returns the problem, or undefined when the answer is right.
 */
export function checkRangeAnswer(
  a: HttpAnswer,
  content: Buffer,
  expected: readonly Interval[] | undefined,
): string | undefined {
  const size = content.length
  if (expected === undefined) {
    if (a.status !== 200) return `status ${a.status}, expected 200`
    return a.body.equals(content) ? undefined : 'full body differs'
  }
  if (expected.length === 0) {
    if (a.status !== 416) return `status ${a.status}, expected 416`
    if (a.headers['content-range'] !== `bytes */${size}`) return 'bad 416 Content-Range'
    return /"code":"BS_INVALID_OFFSET"/.test(a.body.toString('utf8')) ? undefined : 'bad 416 body'
  }
  if (a.status !== 206) return `status ${a.status}, expected 206`
  const ranges = (i: Interval): string => `bytes ${i[0]}-${i[1]}/${size}`
  if (expected.length === 1) {
    const [only] = expected as [Interval]
    if (a.headers['content-range'] !== ranges(only))
      return `Content-Range ${a.headers['content-range']}`
    return a.body.equals(content.subarray(only[0], only[1] + 1)) ? undefined : 'range bytes differ'
  }
  const parts = parseMultipart(a.body, String(a.headers['content-type']))
  if (typeof parts === 'string') return parts
  if (parts.length !== expected.length) return `${parts.length} parts, expected ${expected.length}`
  for (const [i, want] of expected.entries()) {
    const got = parts[i]!
    if (got.range !== ranges(want)) return `part ${i}: ${got.range}, expected ${ranges(want)}`
    if (!got.bytes.equals(content.subarray(want[0], want[1] + 1))) return `part ${i} bytes differ`
  }
  return undefined
}
