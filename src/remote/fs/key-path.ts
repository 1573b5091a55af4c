/**
 * Maps remote keys to relative paths in a directory and back, so that no key can escape the
 * directory or collide with another, whatever its characters.
 *
 * A key is split on `/` into segments (one directory level per segment, so a payload's blocks
 * share a directory). Each segment's UTF-8 bytes are kept when in `[a-z0-9._-]` and written as
 * `%xx` (lowercase hex) otherwise: upper case is escaped too, so case-insensitive volumes (SMB,
 * macOS) cannot merge two keys. The encoded segment gets a one-letter tag: `f` for the last
 * segment (the object file), `d` for a directory, `c` for a continuation directory when a
 * segment is longer than {@link MAX_PIECE} encoded characters (file names stop at 255 bytes).
 * Tags also make `.`, `..`, empty segments and reserved names harmless, and leave every name
 * starting with `.` free for the store's own files (temporary files, the format file).
 */

/** Longest encoded piece of a segment in one path component (plus tag and a final escape). */
export const MAX_PIECE = 200

const SAFE = /^[a-z0-9._-]$/
const LONE_SURROGATE = /[\uD800-\uDFFF]/u
const encoder = new TextEncoder()

/** Entry tags of the directory layout. */
export const TAG = { file: 'f', dir: 'd', continuation: 'c' } as const

/** True when the key can be stored (well-formed UTF-16: it has one UTF-8 spelling). */
export function isStorableKey(key: string): boolean {
  return !LONE_SURROGATE.test(key)
}

/** Encoded pieces of one segment; never empty (an empty segment is one empty piece). */
export function encodeSegment(segment: string): string[] {
  const pieces: string[] = []
  let piece = ''
  for (const byte of encoder.encode(segment)) {
    const ch = String.fromCharCode(byte)
    const token = SAFE.test(ch) ? ch : `%${byte.toString(16).padStart(2, '0')}`
    if (piece.length + token.length > MAX_PIECE) {
      pieces.push(piece)
      piece = ''
    }
    piece += token
  }
  pieces.push(piece)
  // Windows/SMB servers strip a trailing dot from names: escape it.
  return pieces.map((p) => (p.endsWith('.') ? `${p.slice(0, -1)}%2e` : p))
}

/** Path components (relative, `/`-free) of the directories holding the key's segments. */
export function segmentsToDirs(segments: readonly string[]): string[] {
  const parts: string[] = []
  for (const segment of segments) {
    const pieces = encodeSegment(segment)
    for (const p of pieces.slice(0, -1)) parts.push(TAG.continuation + p)
    parts.push(TAG.dir + pieces.at(-1)!)
  }
  return parts
}

/** Path components of the object file of `key`. */
export function keyToParts(key: string): string[] {
  const segments = key.split('/')
  const last = encodeSegment(segments.pop()!)
  const parts = segmentsToDirs(segments)
  for (const p of last.slice(0, -1)) parts.push(TAG.continuation + p)
  parts.push(TAG.file + last.at(-1)!)
  return parts
}

/** Bytes of an encoded piece (without its tag); `undefined` when it is not a valid encoding. */
export function decodePiece(piece: string): Uint8Array | undefined {
  const out: number[] = []
  for (let i = 0; i < piece.length; i++) {
    const ch = piece[i]!
    if (ch === '%') {
      const hex = piece.slice(i + 1, i + 3)
      if (!/^[0-9a-f]{2}$/.test(hex)) return undefined
      out.push(Number.parseInt(hex, 16))
      i += 2
    } else if (SAFE.test(ch)) {
      out.push(ch.charCodeAt(0))
    } else {
      return undefined
    }
  }
  return Uint8Array.from(out)
}
