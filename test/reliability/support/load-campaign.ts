/**
 * Load: many concurrent clients mixing reads, writes, truncates, deletes and payload copies
 * against one engine for a bounded time, while the syncer uploads, an eviction loop drops
 * every safely remote block and garbage collection sweeps with no grace period. Each client
 * owns three payloads (so its model is exact) and reads a shared one. Afterwards everything is
 * drained, collected, evicted and every payload verified byte for byte by cold reads. RSS and
 * event-loop delay are recorded; /proc/self/fd is counted before and after.
 */
import { readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { BlockSize } from '../../../src/core/constants.js'
import type { Engine } from '../../../src/engine/index.js'
import { syncFileSystem } from '../../../src/platform/syncfs.js'
import { openTestEngine, type TestEngine } from '../../support/engine-fixture.js'
import { onDisk } from '../../support/engine-presets.js'
import { type BackgroundFigures, startBackground } from './load-background.js'
import { type CopyFigures, copyOp, newCopyFigures, racingCopyOp } from './load-copies.js'
import { PayloadModel } from './load-model.js'
import { patternBytes, UNIT } from './pattern.js'
import { Rng } from './rng.js'

/** Figures of a load run. */
export interface LoadFigures {
  readonly target: string
  readonly clients: number
  readonly durationMs: number
  readonly reads: number
  readonly writes: number
  readonly truncates: number
  readonly deletes: number
  readonly copy: CopyFigures
  readonly background: BackgroundFigures
  /** Bytes checked by reads during the run. */
  readonly bytesVerified: number
  /** Payloads and bytes checked by cold reads after drain, GC and eviction. */
  readonly payloadsVerifiedCold: number
  readonly bytesVerifiedCold: number
  /** All errors (the first 20 are in `errors`). */
  readonly errorCount: number
  readonly errors: string[]
  readonly maxRssBytes: number
  readonly eventLoopDelayP99Ms: number
  readonly eventLoopDelayMaxMs: number
  readonly fdsBefore: number
  readonly fdsAfter: number
}

/** Where and how hard a run loads. */
export interface LoadOptions {
  /**
   * Opens the engine to load, after the descriptors are first counted (default fs local + fs
   * remote + SQLite in a temp dir, no disk cap: eviction is explicit). Its metadata store must
   * be a handle: the campaign tells which blocks of a copy's source were remote, cached or
   * only local.
   */
  readonly engine?: () => Promise<TestEngine>
  readonly target?: string
  /** Pause between explicit evictions of everything safely remote (default 100 ms). */
  readonly evictEveryMs?: number
}

/**
 * A client's payload span: one and a half blocks, so copies share, replace and cut whole and
 * partial blocks (kept small: every byte is verified cold at the end).
 */
const SPAN = BlockSize + BlockSize / 2
const READ = 64 * UNIT

async function openFds(): Promise<number> {
  return (await readdir('/proc/self/fd')).length
}

/**
 * The count after closing: sockets of a destroyed S3 client and an ended PostgreSQL pool are
 * closed by the event loop a little later, so the count may take a moment to settle (2 s at
 * most, then whatever is still open is a leak).
 */
async function settledFds(target: number): Promise<number> {
  let n = await openFds()
  for (let i = 0; i < 40 && n > target; i++) {
    await sleep(50)
    n = await openFds()
  }
  return n
}

/**
 * The count before starting, once it is steady: hash worker threads left by earlier work exit
 * after 300 ms idle and take their descriptors with them, which would otherwise show up as
 * descriptors "closed" by the campaign (and hide a leak of the same size).
 */
async function steadyFds(): Promise<number> {
  let n = await openFds()
  for (let i = 0, steady = 0; i < 40 && steady < 8; i++) {
    await sleep(50)
    const m = await openFds()
    steady = m === n ? steady + 1 : 0
    n = m
  }
  return n
}

/** Checks a payload's existence, size and a read of [off, off+len) against its model. */
async function verifyRange(
  store: Engine,
  m: PayloadModel,
  off: number,
  len: number,
  errors: string[],
): Promise<number> {
  const exists = await store.exists(m.id)
  if (exists !== m.exists) {
    errors.push(`${m.id}: exists ${exists}, model ${m.exists}`)
    return 0
  }
  if (!exists) return 0
  const size = await store.getSize(m.id)
  if (size !== m.size) {
    errors.push(`${m.id}: size ${size}, model ${m.size}`)
    return 0
  }
  const got = new Uint8Array(Math.max(0, Math.min(len, size - off)))
  const n = await store.readAt(m.id, got, off)
  const bad = n === got.length ? m.mismatch(got, off) : off + n
  if (bad !== undefined) errors.push(`${m.id}: unit at ${bad} differs (read ${n} at ${off})`)
  return n
}

/** Runs the campaign: `clients` concurrent clients for `durationMs`, seeded by `seed`. */
export async function runLoad(
  clients: number,
  durationMs: number,
  seed: number,
  options: LoadOptions = {},
): Promise<LoadFigures> {
  // The resident syncfs shell is one per process, started by the first checkpoint: start it
  // now so the descriptors it holds are counted on both sides.
  await syncFileSystem(tmpdir())
  const fdsBefore = await steadyFds()
  const delay = monitorEventLoopDelay({ resolution: 10 })
  delay.enable()
  let maxRss = process.memoryUsage().rss
  const sampler = setInterval(() => {
    maxRss = Math.max(maxRss, process.memoryUsage().rss)
  }, 50)
  sampler.unref()
  const errors: string[] = []
  const n = { reads: 0, writes: 0, truncates: 0, deletes: 0, bytes: 0, coldPayloads: 0 }
  let coldBytes = 0
  const copy = newCopyFigures()
  let background: BackgroundFigures
  const shared = new PayloadModel('shared', SPAN)
  shared.write(1, 0, BlockSize + 4096)
  const models: PayloadModel[][] = Array.from({ length: clients }, (_, c) =>
    ['', '/copy-1', '/copy-2'].map((s) => new PayloadModel(`client-${c}${s}`, SPAN)),
  )
  {
    await using e = await (options.engine ?? (() => openTestEngine(onDisk)))()
    const store = e.engine
    await store.writeAt('shared', patternBytes(1, 0, shared.size), 0)
    await store.flush('shared')
    const bg = startBackground(store, errors, options.evictEveryMs ?? 100)
    background = bg.figures
    const until = performance.now() + durationMs
    const client = async (c: number): Promise<void> => {
      const rng = new Rng(seed + c)
      const mine = models[c] ?? []
      let tag = c * 10_000_000
      while (performance.now() < until) {
        const m = rng.pick(mine)
        const r = rng.next()
        try {
          if (r < 0.35) {
            const len = (1 + rng.int(4096)) * UNIT
            const off = rng.int((SPAN - len) / UNIT) * UNIT
            await store.writeAt(m.id, patternBytes(++tag, off, len), off)
            m.write(tag, off, len)
            n.writes++
            if (rng.next() < 0.1) await store.flush(m.id)
          } else if (r < 0.42 && m.exists) {
            const size = rng.pick([0, BlockSize, SPAN, rng.int(SPAN / UNIT + 1) * UNIT])
            await store.truncate(m.id, size)
            m.truncate(size)
            n.truncates++
          } else if (r < 0.46 && m.exists && m !== mine[0]) {
            await store.delete(m.id)
            m.delete()
            n.deletes++
          } else if (r < 0.56 && m.exists) {
            const dst = rng.pick(mine.filter((d) => d !== m))
            if (rng.next() < 0.25) {
              n.bytes += await racingCopyOp(store, rng, m, dst, ++tag, copy, errors)
            } else await copyOp(store, e.metadata, rng, m, dst, copy)
          } else if (rng.next() < 0.4) {
            const off = rng.int((shared.size - READ) / UNIT) * UNIT
            n.bytes += await verifyRange(store, shared, off, READ, errors)
            n.reads++
          } else {
            const off = rng.int(Math.max(1, (m.size - READ) / UNIT)) * UNIT
            n.bytes += await verifyRange(store, m, off, READ, errors)
            n.reads++
          }
        } catch (err) {
          errors.push(`${m.id}: ${String(err)}`)
        }
      }
    }
    await Promise.all(Array.from({ length: clients }, (_, c) => client(c)))
    await bg.stop()
    // Afterwards: every block uploaded, every unreferenced object collected, every local copy
    // dropped; then each payload read cold from the remote must equal its model.
    const drained = await store.drainAllUploads()
    for (const f of drained.failed) errors.push(`drain ${f.blockId}: ${f.code}`)
    const gc = await store.collectGarbage({ gracePeriodMs: 0, allowShortGrace: true })
    if (gc.errors > 0) errors.push(`final gc: ${gc.errorSamples.join('; ')}`)
    background.gcDeleted += gc.deleted
    await store.evict({ readBuffer: true, local: true })
    for (const m of [shared, ...models.flat()]) {
      try {
        for (let off = 0; off < m.size || off === 0; off += BlockSize) {
          coldBytes += await verifyRange(store, m, off, BlockSize, errors)
        }
        n.coldPayloads++
      } catch (err) {
        errors.push(`cold ${m.id}: ${String(err)}`)
      }
    }
  }
  clearInterval(sampler)
  delay.disable()
  return {
    target: options.target ?? 'fs local + fs remote + SQLite',
    clients,
    durationMs,
    reads: n.reads,
    writes: n.writes,
    truncates: n.truncates,
    deletes: n.deletes,
    copy,
    background,
    bytesVerified: n.bytes,
    payloadsVerifiedCold: n.coldPayloads,
    bytesVerifiedCold: coldBytes,
    errorCount: errors.length,
    errors: errors.slice(0, 20),
    maxRssBytes: maxRss,
    eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
    eventLoopDelayMaxMs: delay.max / 1e6,
    fdsBefore,
    fdsAfter: await settledFds(fdsBefore),
  }
}
