/**
 * Self-describing test data: every byte written by a campaign is a function of a write's
 * tag (unique per write, known to the parent) and the byte's absolute offset, so a read-back
 * unit can be traced to the exact write that produced it, or shown to be foreign.
 */

/** Granularity of campaign offsets and sizes: every write and truncate is a multiple. */
export const UNIT = 64

/** A 32-bit mix of (tag, word index): bijective enough that distinct writes never collide. */
function mix(tag: number, word: number): number {
  let h = Math.imul(tag ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(word, 0xc2b2ae35)
  h ^= h >>> 16
  h = Math.imul(h, 0x7feb352d)
  h ^= h >>> 15
  h = Math.imul(h, 0x846ca68b)
  h ^= h >>> 16
  return h >>> 0
}

/** Fills `dest` with the bytes a write of `tag` puts at absolute `offset` (a multiple of 4). */
export function fillPattern(dest: Uint8Array, tag: number, offset: number): void {
  const view = new DataView(dest.buffer, dest.byteOffset, dest.byteLength)
  const first = offset / 4
  const whole = dest.length - (dest.length % 4)
  for (let i = 0; i < whole; i += 4) view.setUint32(i, mix(tag, first + i / 4), true)
  for (let i = whole; i < dest.length; i++) {
    dest[i] = (mix(tag, first + Math.floor(i / 4)) >>> (8 * (i % 4))) & 0xff
  }
}

/** The bytes of a write of `tag` covering `length` bytes at `offset` (a multiple of 4). */
export function patternBytes(tag: number, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length)
  fillPattern(out, tag, offset)
  return out
}

/**
 * True when `data` (a multiple of 4 bytes read at absolute `offset`, a multiple of 4) is
 * exactly what `tag` wrote there; tag 0 means zeros.
 */
export function matchesTag(data: Uint8Array, tag: number, offset: number): boolean {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const first = offset / 4
  for (let i = 0; i < data.length; i += 4) {
    const want = tag === 0 ? 0 : mix(tag, first + i / 4)
    if (view.getUint32(i, true) !== want) return false
  }
  return true
}
