import { MaxPayloadIdBytes } from './constants.js'
import { BlockStoreError } from './errors.js'

// A lone UTF-16 surrogate cannot be encoded as UTF-8: it would be silently replaced by
// U+FFFD on the way to disk or a database, so two different IDs could collide.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** The first empty, `.` or `..` path segment (captured). */
const BAD_SEGMENT = /(?:^|\/)(\.{0,2})(?:\/|$)/

/**
 * Why `id` is not a valid payload ID, or `undefined` when it is valid.
 * Rules: non-empty; at most 1024 UTF-8 bytes; well-formed Unicode; no NUL; no leading `/`;
 * no empty, `.` or `..` path segment.
 */
export function payloadIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string') return 'payload ID must be a string'
  if (id.length === 0) return 'payload ID is empty'
  if (id.includes('\0')) return 'payload ID contains NUL'
  if (LONE_SURROGATE.test(id)) return 'payload ID is not well-formed Unicode'
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short IDs (nearly all) need no count. IDs are
  // checked at every layer of every request, so this stays cheap.
  const bytes = id.length * 3 <= MaxPayloadIdBytes ? 0 : utf8Length(id)
  if (bytes > MaxPayloadIdBytes) {
    return `payload ID is ${bytes} bytes long, at most ${MaxPayloadIdBytes} allowed`
  }
  if (id.startsWith('/')) return 'payload ID starts with "/"'
  const bad = BAD_SEGMENT.exec(id)
  if (bad === null) return undefined
  const segment = bad[1] ?? ''
  return segment === ''
    ? 'payload ID has an empty path segment'
    : `payload ID has a "${segment}" segment`
}

/** UTF-8 length of a well-formed string (a surrogate pair is 4 bytes). */
function utf8Length(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4
      i++
    } else n += 3
  }
  return n
}

/** True when `id` is a valid payload ID (see {@link payloadIdProblem}). */
export function isValidPayloadId(id: unknown): id is string {
  return payloadIdProblem(id) === undefined
}

/**
 * Checks a payload ID.
 * @throws {BlockStoreError} BS_INVALID_PAYLOAD_ID naming the problem.
 */
export function assertPayloadId(id: unknown): asserts id is string {
  const problem = payloadIdProblem(id)
  if (problem !== undefined) {
    throw new BlockStoreError('BS_INVALID_PAYLOAD_ID', `invalid content ID: ${problem}`)
  }
}

/**
 * Payload IDs starting with this are reserved for the engine's own use (the staging payloads
 * of whole-payload replacements): users can neither create, read nor list them.
 */
export const ReservedPayloadPrefix = '.ditto/'

/** Prefix of the staging payloads that whole-payload replacements are written to. */
export const StagingPayloadPrefix = `${ReservedPayloadPrefix}staging/`

/** True when `id` lies in the reserved namespace ({@link ReservedPayloadPrefix}). */
export function isReservedPayloadId(id: string): boolean {
  return id.startsWith(ReservedPayloadPrefix)
}

/**
 * Checks a payload ID given by a user: valid, and outside the reserved namespace.
 * @throws {BlockStoreError} BS_INVALID_PAYLOAD_ID for an invalid ID; BS_INVALID_ARGUMENT for
 * a reserved one.
 */
export function assertUserPayloadId(id: unknown): asserts id is string {
  assertPayloadId(id)
  if (isReservedPayloadId(id)) {
    throw new BlockStoreError(
      'BS_INVALID_ARGUMENT',
      `payload IDs starting with "${ReservedPayloadPrefix}" are reserved for the engine`,
      { payloadId: id },
    )
  }
}
