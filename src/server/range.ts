/**
 * `Range` request header evaluation per RFC 9110 §14: byte ranges only, suffix ranges,
 * open-ended ranges, last-pos clamped to the representation, overlapping or adjacent ranges
 * coalesced, unsatisfiable sets answered with 416, invalid sets ignored (a full 200).
 */

/** One byte range, both ends inclusive (as written in `Content-Range`). */
export interface ByteRange {
  readonly start: number
  readonly end: number
}

/** What to answer a GET with. */
export type RangeDecision =
  | { readonly kind: 'full' }
  | { readonly kind: 'partial'; readonly ranges: readonly ByteRange[] }
  | { readonly kind: 'unsatisfiable' }

/** More ranges than this in one header are ignored (RFC 9110 §14.2 allows it). */
export const MaxRanges = 100

const FULL = { kind: 'full' } as const
const SPEC = /^(\d*)-(\d*)$/

/**
 * Evaluates a `Range` header against a representation of `size` bytes.
 * - No header, another unit, an invalid set or too many ranges: `full` (the header is ignored).
 * - No satisfiable range: `unsatisfiable` (416 with `Content-Range: bytes *\/size`).
 * - Otherwise the satisfiable ranges, clamped and coalesced, in ascending order.
 */
export function evaluateRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return FULL
  const eq = header.indexOf('=')
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return FULL
  // Empty list elements ("0-1, ,2-3") are allowed and skipped (RFC 9110 §5.6.1).
  const specs = header
    .slice(eq + 1)
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '')
  if (specs.length === 0 || specs.length > MaxRanges) return FULL
  const satisfiable: ByteRange[] = []
  for (const spec of specs) {
    const m = SPEC.exec(spec)
    const [firstText, lastText] = [m?.[1] ?? '', m?.[2] ?? '']
    if (m === null || (firstText === '' && lastText === '')) return FULL
    if (firstText === '') {
      // Beyond 2^53 the number is imprecise (or Infinity), but any such suffix is longer than
      // every payload (sizes are safe integers), so it still means "everything".
      const suffix = Number(lastText)
      // A zero-length suffix is unsatisfiable; a longer one than the size means everything.
      if (suffix > 0 && size > 0)
        satisfiable.push({ start: Math.max(0, size - suffix), end: size - 1 })
      continue
    }
    // Compared as digit strings: two huge positions may round to the same double.
    if (lastText !== '' && compareDigits(lastText, firstText) < 0) return FULL
    // A first-pos beyond 2^53 is past every payload's end (unsatisfiable), a last-pos beyond it
    // is clamped like any other last-pos past the end (RFC 9110 §14.1.2).
    const first = Number(firstText)
    const last = lastText === '' ? Number.POSITIVE_INFINITY : Number(lastText)
    if (first < size) satisfiable.push({ start: first, end: Math.min(last, size - 1) })
  }
  if (satisfiable.length === 0) {
    // A zero-length representation has no range to send; serve it whole (empty).
    return size === 0 && specs.some((x) => /^-\d*[1-9]/.test(x)) ? FULL : { kind: 'unsatisfiable' }
  }
  return { kind: 'partial', ranges: coalesce(satisfiable) }
}

/** Compares two decimal digit strings by value, exactly, whatever their length. */
function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '')
  const y = b.replace(/^0+(?=\d)/, '')
  if (x.length !== y.length) return x.length - y.length
  return x < y ? -1 : x > y ? 1 : 0
}

/** Sorts ranges and merges those that overlap or touch. */
export function coalesce(ranges: readonly ByteRange[]): ByteRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start)
  const out: ByteRange[] = []
  for (const r of sorted) {
    const prev = out[out.length - 1]
    if (prev !== undefined && r.start <= prev.end + 1) {
      out[out.length - 1] = { start: prev.start, end: Math.max(prev.end, r.end) }
    } else {
      out.push(r)
    }
  }
  return out
}

/** `Content-Range` value of one range of a `size`-byte representation. */
export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`
}

/** The framing of a `multipart/byteranges` body (RFC 9110 §14.6). */
export interface MultipartFraming {
  readonly contentType: string
  /** Part header before each range's bytes, in range order. */
  readonly partHeaders: readonly string[]
  readonly trailer: string
  /** Exact body length. */
  readonly contentLength: number
}

/** Builds the framing of a multipart answer for `ranges`. */
export function multipartFraming(
  ranges: readonly ByteRange[],
  size: number,
  boundary: string,
  partType = 'application/octet-stream',
): MultipartFraming {
  const partHeaders = ranges.map(
    (r, i) =>
      `${i === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Type: ${partType}\r\n` +
      `Content-Range: ${contentRange(r, size)}\r\n\r\n`,
  )
  const trailer = `\r\n--${boundary}--\r\n`
  const bytes = (s: string): number => Buffer.byteLength(s, 'latin1')
  const contentLength =
    partHeaders.reduce((n, h) => n + bytes(h), 0) +
    ranges.reduce((n, r) => n + r.end - r.start + 1, 0) +
    bytes(trailer)
  return {
    contentType: `multipart/byteranges; boundary=${boundary}`,
    partHeaders,
    trailer,
    contentLength,
  }
}
