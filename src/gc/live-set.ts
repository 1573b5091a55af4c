/**
 * LiveSet: the mark phase's set of referenced remote keys, kept as 64-bit fingerprints in an
 * open-addressing table (8 bytes a key, about 16-32 MiB for a million keys) instead of the
 * strings themselves. A fingerprint collision can only make an unreferenced key look live
 * (garbage kept), never a live key look dead: every added key is always found.
 */

const EMPTY = 0

// Two independent 32-bit hashes of the UTF-16 code units (FNV-1a and a murmur3 round), each
// finalised with murmur3's fmix32.
function fmix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

let fpHi = 0
let fpLo = 0

function fingerprint(key: string): void {
  let a = 0x811c9dc5
  let b = 0x9747b28c
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i)
    a = Math.imul(a ^ c, 16777619)
    let k = Math.imul(c, 0xcc9e2d51)
    k = (k << 15) | (k >>> 17)
    b ^= Math.imul(k, 0x1b873593)
    b = (b << 13) | (b >>> 19)
    b = (Math.imul(b, 5) + 0xe6546b64) | 0
  }
  fpHi = fmix(a ^ key.length)
  fpLo = fmix(b ^ key.length)
  // (0, 0) marks an empty slot.
  if (fpHi === EMPTY && fpLo === EMPTY) fpLo = 1
}

/** A compact set of key fingerprints; grows by doubling at half load. */
export class LiveSet {
  #hi: Uint32Array
  #lo: Uint32Array
  #mask: number
  #size = 0

  /** `expected`: keys expected (sizes the first table; it grows as needed). */
  constructor(expected = 1024) {
    let capacity = 1024
    while (capacity < expected * 2) capacity *= 2
    this.#hi = new Uint32Array(capacity)
    this.#lo = new Uint32Array(capacity)
    this.#mask = capacity - 1
  }

  /** Distinct fingerprints held. */
  get size(): number {
    return this.#size
  }

  /** Bytes of the table. */
  get byteLength(): number {
    return this.#hi.byteLength + this.#lo.byteLength
  }

  /** Adds a key (no-op when its fingerprint is already present). */
  add(key: string): void {
    fingerprint(key)
    if (this.#insert(fpHi, fpLo)) this.#size++
    if (this.#size * 2 > this.#mask + 1) this.#grow()
  }

  /** True when the key (or a key with the same fingerprint) was added. */
  has(key: string): boolean {
    fingerprint(key)
    const hi = fpHi
    const lo = fpLo
    for (let i = lo & this.#mask; ; i = (i + 1) & this.#mask) {
      const h = this.#hi[i]!
      const l = this.#lo[i]!
      if (h === hi && l === lo) return true
      if (h === EMPTY && l === EMPTY) return false
    }
  }

  #insert(hi: number, lo: number): boolean {
    for (let i = lo & this.#mask; ; i = (i + 1) & this.#mask) {
      const h = this.#hi[i]!
      const l = this.#lo[i]!
      if (h === hi && l === lo) return false
      if (h === EMPTY && l === EMPTY) {
        this.#hi[i] = hi
        this.#lo[i] = lo
        return true
      }
    }
  }

  #grow(): void {
    const oldHi = this.#hi
    const oldLo = this.#lo
    this.#hi = new Uint32Array(oldHi.length * 2)
    this.#lo = new Uint32Array(oldLo.length * 2)
    this.#mask = this.#hi.length - 1
    for (let i = 0; i < oldHi.length; i++) {
      const h = oldHi[i]!
      const l = oldLo[i]!
      if (h !== EMPTY || l !== EMPTY) this.#insert(h, l)
    }
  }
}
