/**
 * The parent's model of a crash campaign: what each payload holds after every operation the
 * driver announced, what its last acknowledged flush made durable, and, after a kill, which
 * states a read-back may legitimately show (acknowledged bytes exactly; later bytes either
 * old or new per unit; never foreign data).
 */
import { BlockSize } from '../../../src/core/constants.js'
import { checkCutReplacement, cloneAllowed } from './crash-replace.js'
import { matchesTag, UNIT } from './pattern.js'

/** Largest payload a campaign creates (three blocks: writes cross block boundaries). */
export const MAX_SIZE = 3 * BlockSize
const UNITS = MAX_SIZE / UNIT

/** One operation as the driver announces it before running it. */
export type CrashOp =
  | {
      readonly op: 'write'
      readonly p: string
      readonly off: number
      readonly len: number
      readonly tag: number
    }
  | { readonly op: 'truncate'; readonly p: string; readonly size: number }
  | { readonly op: 'delete'; readonly p: string }
  | { readonly op: 'copy'; readonly src: string; readonly dst: string }
  /** A whole-payload replacement (`beginReplace`, one write of `len` bytes, commit). */
  | { readonly op: 'replace'; readonly p: string; readonly len: number; readonly tag: number }
  | { readonly op: 'flush'; readonly p: string }
  | { readonly op: 'gc' }

/** What the model knows of one payload. */
export interface PayloadModel {
  exists: boolean
  size: number
  /** Tag of the write that produced each unit; 0 = zeros (also past the size). */
  tags: Uint32Array
}

/** What may be observed of one payload after a kill. */
export interface Allowed {
  readonly exists: Set<boolean>
  readonly sizes: Set<number>
  /** Extra tags allowed per unit beyond the acknowledged one (sparse). */
  readonly extra: Map<number, Set<number>>
}

/** Reads back a payload after a restart. */
export interface PayloadReader {
  exists(p: string): Promise<boolean>
  getSize(p: string): Promise<number>
  readAt(p: string, dest: Uint8Array, offset: number): Promise<number>
}

/** Outcome of verifying every payload after a restart. */
export interface Verdict {
  readonly bytesVerified: number
  /** Acknowledged bytes that did not read back (must be 0). */
  readonly bytesLost: number
  /** Replacements cut by the kill, checked to be entirely old or entirely new. */
  readonly replacesCut: number
  readonly violations: string[]
}

function empty(): PayloadModel {
  return { exists: false, size: 0, tags: new Uint32Array(UNITS) }
}

function clone(m: PayloadModel): PayloadModel {
  return { exists: m.exists, size: m.size, tags: m.tags.slice() }
}

/** The campaign's model across rounds. */
export class CrashModel {
  readonly payloads: readonly string[]
  readonly #current = new Map<string, PayloadModel>()
  readonly #acked = new Map<string, PayloadModel>()
  readonly #allowed = new Map<string, Allowed>()
  /** Replacements announced and not yet acknowledged, by payload (at most the one in flight). */
  readonly #replacing = new Map<string, { tag: number; len: number; before: Allowed }>()
  /** Operations announced since the last restart. */
  opsSeen = 0
  /** Every write tag announced (to name the source of foreign bytes). */
  readonly allTags: number[] = []
  acksSeen = 0
  /** The last operations and acknowledgements, oldest first (printed with violations). */
  readonly #history: string[] = []
  #round = 0

  #remember(line: string): void {
    this.#history.push(`r${this.#round} ${line}`)
    if (this.#history.length > 200) this.#history.shift()
  }

  /** The remembered history lines that mention `p` (or every payload, for GC). */
  history(p: string): string[] {
    return this.#history.filter((l) => l.includes(`"${p}"`) || l.includes('"gc"'))
  }

  constructor(payloads: readonly string[]) {
    this.payloads = payloads
    for (const p of payloads) {
      this.#current.set(p, empty())
      this.#acked.set(p, empty())
      this.#allowed.set(p, freshAllowed(empty()))
    }
  }

  #cur(p: string): PayloadModel {
    const m = this.#current.get(p)
    if (m === undefined) throw new Error(`unknown payload ${p}`)
    return m
  }

  /** Applies an announced operation (it may or may not have happened before a kill). */
  apply(o: CrashOp): void {
    this.opsSeen++
    this.#remember(JSON.stringify(o))
    if (o.op === 'flush' || o.op === 'gc') return
    this.#replacing.delete(o.op === 'copy' ? o.dst : o.p)
    if (o.op === 'replace') {
      this.allTags.push(o.tag)
      const old = this.#cur(o.p)
      const before = cloneAllowed(this.#allowedOf(o.p))
      const next = empty()
      next.exists = true
      next.size = o.len
      next.tags.fill(o.tag, 0, o.len / UNIT)
      this.#current.set(o.p, next)
      const a = this.#allowedOf(o.p)
      for (let u = 0; u < Math.max(old.size, o.len) / UNIT; u++) addExtra(a, u, next.tags[u] ?? 0)
      note(a, next)
      this.#replacing.set(o.p, { tag: o.tag, len: o.len, before })
      return
    }
    if (o.op === 'copy') {
      const next = clone(this.#cur(o.src))
      const old = this.#cur(o.dst)
      this.#current.set(o.dst, next)
      const a = this.#allowedOf(o.dst)
      const units = Math.max(next.size, old.size) / UNIT
      for (let u = 0; u < units; u++) addExtra(a, u, next.tags[u] ?? 0)
      note(a, next)
      return
    }
    const m = this.#cur(o.p)
    const a = this.#allowedOf(o.p)
    if (o.op === 'write') {
      this.allTags.push(o.tag)
      const first = o.off / UNIT
      const last = (o.off + o.len) / UNIT
      m.tags.fill(o.tag, first, last)
      for (let u = first; u < last; u++) addExtra(a, u, o.tag)
      m.size = Math.max(m.size, o.off + o.len)
      m.exists = true
    } else if (o.op === 'truncate') {
      for (let u = o.size / UNIT; u < m.size / UNIT; u++) addExtra(a, u, 0)
      m.tags.fill(0, o.size / UNIT)
      m.size = o.size
      m.exists = true
    } else {
      for (let u = 0; u < m.size / UNIT; u++) addExtra(a, u, 0)
      m.tags.fill(0)
      m.size = 0
      m.exists = false
    }
    note(a, m)
  }

  #allowedOf(p: string): Allowed {
    const a = this.#allowed.get(p)
    if (a === undefined) throw new Error(`unknown payload ${p}`)
    return a
  }

  /** A returned flush made the payload's current state durable. */
  ack(p: string): void {
    this.acksSeen++
    this.#replacing.delete(p)
    this.#remember(`ack "${p}"`)
    const m = clone(this.#cur(p))
    this.#acked.set(p, m)
    this.#allowed.set(p, freshAllowed(m))
  }

  /** The size and existence the driver should assume (the model's current view). */
  current(p: string): { exists: boolean; size: number } {
    const m = this.#cur(p)
    return { exists: m.exists, size: m.size }
  }

  /**
   * Verifies every payload after a restart and makes what was read the new baseline (the
   * caller flushes it all before the next round, so it is acknowledged).
   */
  async verify(reader: PayloadReader): Promise<Verdict> {
    const v = { bytesVerified: 0, bytesLost: 0, replacesCut: 0, violations: [] as string[] }
    for (const p of this.payloads) {
      const acked = this.#acked.get(p) ?? empty()
      const a = this.#allowedOf(p)
      const before = v.violations.length
      const observed = await readBack(reader, p, acked, a, v, this.allTags)
      const cut = this.#replacing.get(p)
      if (cut !== undefined) {
        v.replacesCut++
        const wrong = checkCutReplacement(observed, acked, cut)
        if (wrong !== undefined)
          v.violations.push(`${p}: replacement tag ${cut.tag} cut by the kill: ${wrong}`)
        this.#replacing.delete(p)
      }
      if (v.violations.length > before) {
        v.violations.push(`${p}: history: ${this.history(p).join(' | ')}`)
      }
      this.#remember(`verified "${p}" exists=${observed.exists} size=${observed.size}`)
      // Acknowledged units no later operation touched must read back exactly.
      if (acked.exists) {
        for (let u = 0; u < acked.size / UNIT; u++) {
          if (!a.extra.has(u) && observed.tags[u] !== acked.tags[u]) v.bytesLost += UNIT
        }
      }
      this.#current.set(p, observed)
      this.#acked.set(p, clone(observed))
      this.#allowed.set(p, freshAllowed(observed))
    }
    this.#round++
    return v
  }
}

async function readBack(
  reader: PayloadReader,
  p: string,
  acked: PayloadModel,
  a: Allowed,
  v: { bytesVerified: number; violations: string[] },
  allTags: readonly number[],
): Promise<PayloadModel> {
  const observed = empty()
  const say = (msg: string): void => {
    if (v.violations.length < 20) v.violations.push(`${p}: ${msg}`)
  }
  const exists = await reader.exists(p)
  if (!a.exists.has(exists)) say(`exists=${exists}, allowed ${[...a.exists].join(',')}`)
  if (!exists) return observed
  const size = await reader.getSize(p)
  observed.exists = true
  observed.size = size
  // A write spanning blocks may persist block by block before its flush: any size between
  // the smallest and largest the operations produced is possible; the per-unit checks and
  // the lost-bytes count decide whether the bytes are right.
  const sizes = [...a.sizes]
  if (size < Math.min(...sizes) || size > Math.max(...sizes)) {
    say(`size ${size} outside [${Math.min(...sizes)}, ${Math.max(...sizes)}]`)
  }
  if (size > MAX_SIZE) {
    say(`size ${size} is larger than the driver could produce`)
    return observed
  }
  // A write killed midway can leave a block file ending inside a unit: whole units are
  // verified, a partial last unit is not.
  const buf = new Uint8Array(BlockSize)
  for (let off = 0; off < size; off += BlockSize) {
    const want = Math.min(BlockSize, size - off)
    const n = await reader.readAt(p, buf, off)
    if (n !== want) say(`read ${n} bytes at ${off}, wanted ${want}`)
    for (let i = 0; i + UNIT <= n; i += UNIT) {
      const u = (off + i) / UNIT
      const tag = identify(buf.subarray(i, i + UNIT), off + i, acked.tags[u] ?? 0, a.extra.get(u))
      if (tag === undefined) {
        const unit = buf.subarray(i, i + UNIT)
        const source = matchesTag(unit, 0, off + i)
          ? 'zeros'
          : `tag ${allTags.find((t) => matchesTag(unit, t, off + i)) ?? 'unknown'}`
        say(
          `64 bytes at ${off + i} are foreign: ${source} (acked tag ${acked.tags[u]}, later ${[...(a.extra.get(u) ?? [])].join(',')})`,
        )
        observed.tags[u] = 0xffffffff
      } else {
        observed.tags[u] = tag
        v.bytesVerified += UNIT
      }
    }
  }
  return observed
}

function freshAllowed(m: PayloadModel): Allowed {
  return { exists: new Set([m.exists]), sizes: new Set([m.size]), extra: new Map() }
}

function note(a: Allowed, m: PayloadModel): void {
  a.exists.add(m.exists)
  a.sizes.add(m.size)
}

function addExtra(a: Allowed, u: number, tag: number): void {
  let s = a.extra.get(u)
  if (s === undefined) {
    s = new Set()
    a.extra.set(u, s)
  }
  s.add(tag)
}

function identify(
  unit: Uint8Array,
  offset: number,
  acked: number,
  extra: ReadonlySet<number> | undefined,
): number | undefined {
  if (matchesTag(unit, acked, offset)) return acked
  for (const t of extra ?? []) if (matchesTag(unit, t, offset)) return t
  return undefined
}
