/**
 * Generators of hostile HTTP input for the campaign against the spawned server: raw payload
 * paths, Range headers (valid, odd and malformed), query integers, Authorization headers.
 */
import fc from 'fast-check'
import { MaxPayloadIdBytes } from '../../../src/core/constants.js'
import { isValidPayloadId } from '../../../src/core/payload-id.js'
import { type RangeSpec, specText } from './range-model.js'

/** The path text after `/v1/payloads/` decodes to a valid ID (undefined: not decodable). */
export function decodedId(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw)
  } catch {
    return undefined
  }
}

/** True when the server must refuse `raw` (as a path or a form-encoded value) as an ID. */
export function isHostileRaw(raw: string): boolean {
  const id = decodedId(raw)
  return id === undefined || !isValidPayloadId(id)
}

const badSegment = fc.constantFrom(
  '.',
  '..',
  '',
  '%2e',
  '%2E%2e',
  '.%2e',
  '%2e.',
  '%00',
  'a%00',
  '%FF',
  '%C3%28',
  '%ED%A0%80',
  '%F4%90%80%80',
  '%C0%AF',
  '%E2%82',
  '%',
  '%G1',
  '%2',
)
const okSegment = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 8 })
  .map((s) => encodeURIComponent(s))

/** Raw (already percent-encoded) payload paths the server must refuse. */
export const hostileRawId: fc.Arbitrary<string> = fc
  .oneof(
    fc
      .array(fc.oneof(badSegment, okSegment), { minLength: 1, maxLength: 5 })
      .map((s) => s.join('/')),
    okSegment.map((s) => `%2F${s}`),
    okSegment.map((s) => `/${s}`),
    fc.tuple(okSegment, okSegment).map(([a, b]) => `${a}%2F%2F${b}`),
    fc.tuple(okSegment, badSegment).map(([a, b]) => `${a}%2F${b}`),
    fc.integer({ min: MaxPayloadIdBytes + 1, max: 3000 }).map((n) => 'a'.repeat(n)),
    // 4 UTF-8 bytes each: 257 of them are 1028 bytes, though only 514 UTF-16 units.
    fc.integer({ min: 257, max: 600 }).map((n) => encodeURIComponent('😀'.repeat(n))),
    fc.integer({ min: 1, max: 1024 }).map((n) => `${'b'.repeat(n)}%00`),
  )
  .filter((raw) => raw !== '' && isHostileRaw(raw))

const digits = fc.oneof(
  fc.nat({ max: 12_000 }).map(String),
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 80n }).map(String),
  fc.constant('99999999999999999999'),
  fc.nat({ max: 9000 }).map((n) => `000${n}`),
)

/** A valid range spec over payloads of up to ~10 KB (or far beyond 2^53). */
export const rangeSpec: fc.Arbitrary<RangeSpec> = fc.oneof(
  fc.tuple(digits, digits).map(([x, y]): RangeSpec => {
    const [first, last] = BigInt(x) <= BigInt(y) ? [x, y] : [y, x]
    return { kind: 'closed', first, last }
  }),
  digits.map((first): RangeSpec => ({ kind: 'open', first })),
  digits.map((length): RangeSpec => ({ kind: 'suffix', length })),
  fc.constant<RangeSpec>({ kind: 'suffix', length: '0' }),
)

const ows = fc.constantFrom('', ' ', '  ', '\t')

/** A valid Range header: its specs and its text (unit in any case, optional whitespace). */
export const validRange: fc.Arbitrary<{ specs: RangeSpec[]; header: string }> = fc
  .tuple(
    fc.constantFrom('bytes', 'Bytes', 'BYTES'),
    fc.array(fc.tuple(rangeSpec, ows, ows), { minLength: 1, maxLength: 8 }),
  )
  .map(([unit, list]) => ({
    specs: list.map(([s]) => s),
    header: `${unit}=${list.map(([s, a, b]) => `${a}${specText(s)}${b}`).join(',')}`,
  }))

const n = fc.nat({ max: 20_000 })

/** One malformed range spec: reversed, negative, inner whitespace, non-digits. */
const badSpec = fc.oneof(
  fc
    .tuple(n, n)
    .filter(([a, b]) => a > b)
    .map(([a, b]) => `${a}-${b}`),
  n.map((a) => `-${a}-`),
  n.map((a) => `--${a}`),
  fc.tuple(n, n).map(([a, b]) => `-${a}-${b}`),
  fc.tuple(n, n, fc.constantFrom(' ', '\t')).map(([a, b, w]) => `${a}${w}-${b}`),
  fc.tuple(n, n, fc.constantFrom(' ', '\t')).map(([a, b, w]) => `${a}-${w}${b}`),
  fc.constantFrom('-', 'a-', '-a', '0x10-', '1.5-2', '+1-2', '1e3-', '0-1-2', 'Infinity-'),
  fc.string({ minLength: 1, maxLength: 10 }).filter((s) => /[^\d\s,-]/.test(s) && !s.includes(',')),
)

/** Range headers the server must ignore (answering the whole payload with 200). */
export const ignoredRange: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(
      fc.array(rangeSpec.map(specText), { maxLength: 3 }),
      badSpec,
      fc.array(rangeSpec.map(specText), { maxLength: 3 }),
    )
    .map(([a, bad, b]) => `bytes=${[...a, bad, ...b].join(',')}`),
  fc
    .tuple(fc.constantFrom('items', 'bits', 'byte', 'none', 'bytes2'), rangeSpec.map(specText))
    .map(([unit, s]) => `${unit}=${s}`),
  fc.constantFrom('bytes', 'bytes=', 'bytes=,', 'bytes= , ', '=0-1', 'bytes 0-1', 'bytes:0-1'),
  fc
    .integer({ min: 101, max: 200 })
    .map((k) => `bytes=${Array.from({ length: k }, (_, i) => `${i * 3}-${i * 3}`).join(',')}`),
)

/** Query values that are not a non-negative decimal integer within 2^53. */
export const badInteger: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: -1 }).map(String),
  fc.double({ noInteger: true, noNaN: true }).map(String),
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 80n }).map(String),
  fc.constantFrom(
    '',
    ' ',
    '1 ',
    ' 1',
    '+1',
    '0x10',
    '1e3',
    'NaN',
    'Infinity',
    '-0',
    '１',
    '٣',
    '1_000',
    '1,5',
    '0b1',
  ),
  fc.string({ minLength: 1, maxLength: 6 }).filter((s) => !/^\d+$/.test(s)),
)

/** Authorization header values that do not carry `token` (undefined: no header). */
export function badAuthorization(token: string): fc.Arbitrary<string | undefined> {
  const accepted = (h: string): boolean =>
    /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(h.trim())?.[1] === token
  return fc
    .oneof(
      fc.constant(undefined),
      fc.string({ maxLength: 40 }),
      fc.string({ maxLength: 40 }).map((s) => `Bearer ${s}`),
      fc.constantFrom(
        'Bearer',
        'Bearer ',
        `Basic ${Buffer.from(`user:${token}`).toString('base64')}`,
        `Token ${token}`,
        `Bearer ${token} x`,
        `Bearer ${token.toUpperCase()}`,
        `Bearer ${token.slice(0, -1)}`,
        `Bearer ${token}0`,
        `Bearer "${token}"`,
        `Bearer ${token},Bearer ${token}`,
        token,
        `Bearer:${token}`,
        `Bearer=${token}`,
      ),
    )
    .filter((h) => h === undefined || !accepted(h))
}
