/** A small seeded PRNG (mulberry32) so a failing campaign round can be replayed from its seed. */
export class Rng {
  #s: number

  constructor(seed: number) {
    this.#s = seed >>> 0
  }

  /** A float in [0, 1). */
  next(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0
    let t = this.#s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** A random element of a non-empty list. */
  pick<T>(list: readonly T[]): T {
    const v = list[this.int(list.length)]
    if (v === undefined) throw new Error('pick from an empty list')
    return v
  }
}
