/**
 * Operations of the engine model test and their seeded generator. Generation depends only on
 * the seed (never on state), so any sub-list of a failing sequence is itself a valid test:
 * operations that do not apply (copy of a missing payload) simply expect their error.
 */
import { BlockSize } from '../../../src/core/constants.js'

/** One step of a model run. */
export type Op =
  | {
      readonly k: 'write'
      readonly pid: string
      readonly offset: number
      readonly length: number
      readonly seed: number
    }
  | { readonly k: 'read'; readonly pid: string; readonly offset: number; readonly length: number }
  | { readonly k: 'truncate'; readonly pid: string; readonly size: number }
  | { readonly k: 'flush'; readonly pid: string }
  | { readonly k: 'delete'; readonly pid: string }
  | { readonly k: 'copy'; readonly src: string; readonly dst: string }
  | { readonly k: 'drain' }
  | { readonly k: 'evict' }
  | { readonly k: 'reopen' }
  | { readonly k: 'outage'; readonly down: boolean }

/** Payloads the model plays with: few, so operations collide. */
export const PIDS = ['m/a', 'm/b', 'm/c'] as const

/** Small seeded PRNG (mulberry32): the same seed gives the same sequence everywhere. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Offsets near block boundaries, where the bugs live. */
const POINTS = [
  0,
  1,
  4096,
  BlockSize / 2,
  BlockSize - 4096,
  BlockSize - 1,
  BlockSize,
  BlockSize + 1,
  2 * BlockSize - 7,
  2 * BlockSize,
  2 * BlockSize + 100,
]

type Kind = Op['k'] | 'outage-on' | 'outage-off'

/** Relative weights of the operations. */
const WEIGHTS: readonly (readonly [Kind, number])[] = [
  ['write', 30],
  ['read', 18],
  ['truncate', 8],
  ['flush', 10],
  ['delete', 3],
  ['copy', 4],
  ['drain', 6],
  ['evict', 5],
  ['reopen', 2],
  ['outage-on', 3],
  ['outage-off', 4],
]

/** Generates `count` operations from `seed`; `reopen` only when the configuration persists. */
export function generateOps(seed: number, count: number, canReopen: boolean): Op[] {
  const r = rng(seed)
  const int = (n: number): number => Math.floor(r() * n)
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T
  const weights = WEIGHTS.filter(([k]) => canReopen || k !== 'reopen')
  const total = weights.reduce((s, [, w]) => s + w, 0)
  const kind = (): Kind => {
    let x = r() * total
    for (const [k, w] of weights) {
      x -= w
      if (x < 0) return k
    }
    return 'read'
  }
  const offset = (): number => Math.max(0, pick(POINTS) + int(101) - 50)
  const length = (): number => {
    const x = r()
    if (x < 0.01) return BlockSize // a whole block now and then: auto-commit, full overwrite
    if (x < 0.1) return 1 + int(70_000)
    return 1 + int(3000)
  }
  const ops: Op[] = []
  while (ops.length < count) {
    const k = kind()
    const pid = pick(PIDS)
    switch (k) {
      case 'write':
        ops.push({ k, pid, offset: offset(), length: length(), seed: int(2 ** 31) })
        break
      case 'read':
        ops.push({ k, pid, offset: offset(), length: length() })
        break
      case 'truncate':
        ops.push({ k, pid, size: r() < 0.15 ? 0 : offset() })
        break
      case 'flush':
      case 'delete':
        ops.push({ k, pid })
        break
      case 'copy':
        ops.push({ k, src: pid, dst: pick(PIDS) })
        break
      case 'drain':
      case 'evict':
      case 'reopen':
        ops.push({ k })
        break
      case 'outage-on':
        ops.push({ k: 'outage', down: true })
        break
      case 'outage-off':
        ops.push({ k: 'outage', down: false })
        break
    }
  }
  return ops
}

/** Deterministic bytes of a write. */
export function writeBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = (seed | 1) >>> 0
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    out[i] = x >>> 24
  }
  return out
}

/** One line per operation, for failure reports. */
export function formatOps(ops: readonly Op[]): string {
  return ops.map((op, i) => `  ${i}: ${JSON.stringify(op)}`).join('\n')
}
