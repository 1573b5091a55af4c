/**
 * Crash-campaign driver (a child process): opens the engine, then runs random writes,
 * truncates, deletes, copies and flushes until it is killed. Every operation is announced on
 * stdout before it starts, and every flush is acknowledged on stdout after it returns (pipe
 * writes are synchronous on Linux), so the parent knows exactly what must survive.
 * Usage: node --import tsx crash-driver.ts '<DriverConfig JSON>'
 */
import { writeSync } from 'node:fs'
import { BlockSize } from '../../../src/core/constants.js'
import { SMALL_REPLACEMENT_BYTES } from '../../../src/engine/replace.js'
import { fastSyncer, openTestEngine, type TestEngineOptions } from '../../support/engine-fixture.js'
import type { CrashOp } from './crash-model.js'
import { MAX_SIZE } from './crash-model.js'
import { patternBytes, UNIT } from './pattern.js'
import { Rng } from './rng.js'

/** What the parent tells the driver. */
export interface DriverConfig {
  /** The campaign's engine (every part by config: it travels as JSON). */
  readonly engine: TestEngineOptions
  /** Payload → size, or -1 when it does not exist (the verified state after the last restart). */
  readonly state: Record<string, number>
  /** First write tag of this round (tags are unique across the campaign). */
  readonly tagBase: number
  readonly seed: number
}

function say(line: object): void {
  writeSync(1, `${JSON.stringify(line)}\n`)
}

const config = JSON.parse(process.argv[2] ?? '{}') as DriverConfig
const rng = new Rng(config.seed)
const sizes = new Map(Object.entries(config.state))
const names = [...sizes.keys()]
let tag = config.tagBase

function unitBelow(max: number): number {
  return rng.int(Math.floor(max / UNIT) + 1) * UNIT
}

function existing(): string[] {
  return names.filter((p) => (sizes.get(p) ?? -1) >= 0)
}

/** A write length: small, medium, or a whole block (completing blocks triggers uploads). */
function writeLength(): number {
  const r = rng.next()
  if (r < 0.5) return (1 + rng.int(1024)) * UNIT
  if (r < 0.85) return (1 + rng.int(16384)) * UNIT
  return BlockSize
}

function nextOp(): CrashOp {
  const live = existing()
  const r = rng.next()
  const p = rng.pick(names)
  if (r < 0.3 && live.length > 0) return { op: 'flush', p: rng.pick(live) }
  // Garbage collection with no grace period: only the row fences protect live objects.
  if (r < 0.33) return { op: 'gc' }
  if (r < 0.38) return { op: 'truncate', p, size: unitBelow(MAX_SIZE) }
  if (r < 0.39 && live.length > 0) return { op: 'delete', p: rng.pick(live) }
  if (r < 0.44 && live.length > 0) {
    const src = rng.pick(live)
    const dst = rng.pick(names.filter((n) => n !== src))
    return { op: 'copy', src, dst }
  }
  // Half the replacements small enough for the one-record reset (held in memory, journaled),
  // half through staging and rename.
  if (r < 0.47)
    return { op: 'replace', p, len: unitBelow(SMALL_REPLACEMENT_BYTES - UNIT) + UNIT, tag: ++tag }
  if (r < 0.5) return { op: 'replace', p, len: unitBelow(MAX_SIZE - UNIT) + UNIT, tag: ++tag }
  const len = writeLength()
  const size = Math.max(0, sizes.get(p) ?? 0)
  // Aim near the end (appends), at block boundaries, or anywhere.
  const where = rng.next()
  let off =
    where < 0.4
      ? size
      : where < 0.6
        ? rng.int(3) * BlockSize + (rng.int(3) - 1) * len
        : unitBelow(MAX_SIZE)
  off = Math.min(Math.max(0, off - (off % UNIT)), MAX_SIZE - len)
  return { op: 'write', p, off, len, tag: ++tag }
}

say({ opening: true })
const t0 = performance.now()
const { engine: store } = await openTestEngine({
  ...config.engine,
  readBufferBytes: 16 * 1024 * 1024,
  syncer: { ...fastSyncer, uploadIntervalMs: 20, uploadDelayMs: 20 },
})
say({ opened: performance.now() - t0 })
for (;;) {
  const o = nextOp()
  say(o)
  switch (o.op) {
    case 'write':
      await store.writeAt(o.p, patternBytes(o.tag, o.off, o.len), o.off)
      sizes.set(o.p, Math.max(sizes.get(o.p) ?? 0, o.off + o.len))
      break
    case 'truncate':
      await store.truncate(o.p, o.size)
      sizes.set(o.p, o.size)
      break
    case 'delete':
      await store.delete(o.p)
      sizes.set(o.p, -1)
      break
    case 'copy':
      await store.copyPayload(o.src, o.dst)
      sizes.set(o.dst, sizes.get(o.src) ?? 0)
      // A returned copy flushed its destination: acknowledged like a flush.
      say({ ack: o.dst })
      break
    case 'replace': {
      const r = await store.beginReplace(o.p)
      // Two writes, so the kill can also land between them.
      const half = Math.floor(o.len / 2 / UNIT) * UNIT
      await r.writeAt(patternBytes(o.tag, 0, half), 0)
      await r.writeAt(patternBytes(o.tag, half, o.len - half), half)
      await r.commit()
      sizes.set(o.p, o.len)
      // A returned commit flushed the payload: acknowledged like a flush.
      say({ ack: o.p })
      break
    }
    case 'gc':
      await store.collectGarbage({ gracePeriodMs: 0, allowShortGrace: true })
      break
    case 'flush':
      await store.flush(o.p)
      say({ ack: o.p })
      break
  }
}
