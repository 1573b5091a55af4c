/**
 * The exact model of one payload owned by a load client: its size, whether it exists, and the
 * tag of the write that produced each 64-byte unit (0: zeros). A copy keeps offsets, so
 * "dst becomes a byte-exact copy of src" is a copy of the tags and the size.
 */
import { matchesTag, UNIT } from './pattern.js'

/** One payload's expected state. */
export class PayloadModel {
  readonly id: string
  exists = false
  size = 0
  readonly #tags: Uint32Array

  constructor(id: string, span: number) {
    this.id = id
    this.#tags = new Uint32Array(span / UNIT)
  }

  /** A write of `tag` over [off, off+len) (multiples of UNIT). */
  write(tag: number, off: number, len: number): void {
    this.#tags.fill(tag, off / UNIT, (off + len) / UNIT)
    this.size = Math.max(this.size, off + len)
    this.exists = true
  }

  /** A truncate to `size`: the bytes past it are gone (zeros if the payload grows again). */
  truncate(size: number): void {
    if (size < this.size) this.#tags.fill(0, size / UNIT)
    this.size = size
  }

  delete(): void {
    this.#tags.fill(0)
    this.size = 0
    this.exists = false
  }

  /** This payload becomes a byte-exact copy of `src`. */
  copyFrom(src: PayloadModel): void {
    this.#tags.set(src.#tags)
    this.size = src.size
    this.exists = true
  }

  /** Bytes this payload may span. */
  get span(): number {
    return this.#tags.length * UNIT
  }

  /** A snapshot of this model. */
  clone(): PayloadModel {
    const c = new PayloadModel(this.id, this.span)
    c.copyFrom(this)
    c.exists = this.exists
    return c
  }

  /** Sets [from, to) to `src`'s units there (a block copied from one of two source states). */
  copyRange(src: PayloadModel, from: number, to: number): void {
    this.#tags.set(src.#tags.subarray(from / UNIT, to / UNIT), from / UNIT)
  }

  /** True when every unit of [from, to) is zeros (a hole, or never written). */
  zeros(from: number, to: number): boolean {
    return this.#tags.subarray(from / UNIT, Math.ceil(to / UNIT)).every((t) => t === 0)
  }

  /**
   * The offset of the first unit of `got` (read at `off`, a multiple of UNIT) that differs
   * from the model, or `undefined` when all match.
   */
  mismatch(got: Uint8Array, off: number): number | undefined {
    for (let i = 0; i < got.length; i += UNIT) {
      const tag = this.#tags[(off + i) / UNIT] ?? 0
      if (!matchesTag(got.subarray(i, i + UNIT), tag, off + i)) return off + i
    }
    return undefined
  }
}
