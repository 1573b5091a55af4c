/**
 * Load: many concurrent clients mixing reads and writes against one engine for a bounded
 * time, recording RSS and event-loop delay; no errors, every read verified, no leaked file
 * descriptors (/proc/self/fd counted before and after). In-process until the HTTP server lands.
 */
import { readdir } from 'node:fs/promises'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { BlockSize } from '../../../src/core/constants.js'
import { openFsEngine } from './fs-engine.js'
import { matchesTag, patternBytes, UNIT } from './pattern.js'
import { Rng } from './rng.js'

/** Figures of a load run. */
export interface LoadFigures {
  readonly clients: number
  readonly durationMs: number
  readonly reads: number
  readonly writes: number
  readonly bytesVerified: number
  readonly errors: string[]
  readonly maxRssBytes: number
  readonly eventLoopDelayP99Ms: number
  readonly eventLoopDelayMaxMs: number
  readonly fdsBefore: number
  readonly fdsAfter: number
}

async function openFds(): Promise<number> {
  return (await readdir('/proc/self/fd')).length
}

/**
 * Each client owns one payload (so it knows what every read must return) and reads a shared
 * payload; writes are 64-byte aligned pieces of up to 256 KiB within two blocks.
 */
export async function runLoad(
  clients: number,
  durationMs: number,
  seed: number,
): Promise<LoadFigures> {
  const fdsBefore = await openFds()
  const delay = monitorEventLoopDelay({ resolution: 10 })
  delay.enable()
  let maxRss = process.memoryUsage().rss
  const sampler = setInterval(() => {
    maxRss = Math.max(maxRss, process.memoryUsage().rss)
  }, 50)
  sampler.unref()
  const errors: string[] = []
  let reads = 0
  let writes = 0
  let bytesVerified = 0
  const shared = patternBytes(1, 0, BlockSize + 4096)
  {
    await using e = await openFsEngine()
    await e.store.writeAt('shared', shared, 0)
    await e.store.flush('shared')
    const until = performance.now() + durationMs
    const client = async (c: number): Promise<void> => {
      const rng = new Rng(seed + c)
      const id = `client-${c}`
      // Tag of every 64-byte unit of this client's payload.
      const tags = new Uint32Array((2 * BlockSize) / UNIT)
      let tag = c * 10_000_000
      while (performance.now() < until) {
        try {
          if (rng.next() < 0.4) {
            const len = (1 + rng.int(4096)) * UNIT
            const off = rng.int((2 * BlockSize - len) / UNIT) * UNIT
            await e.store.writeAt(id, patternBytes(++tag, off, len), off)
            tags.fill(tag, off / UNIT, (off + len) / UNIT)
            writes++
            if (rng.next() < 0.1) await e.store.flush(id)
          } else if (rng.next() < 0.5) {
            const off = rng.int(shared.length / UNIT - 64) * UNIT
            const got = new Uint8Array(64 * UNIT)
            await e.store.readAt('shared', got, off)
            if (!Buffer.from(got).equals(shared.subarray(off, off + got.length)))
              errors.push(`shared read at ${off} differs`)
            bytesVerified += got.length
            reads++
          } else if (writes > 0 && (await e.store.exists(id))) {
            const size = await e.store.getSize(id)
            const off = rng.int(Math.max(1, size / UNIT - 64)) * UNIT
            const got = new Uint8Array(Math.min(64 * UNIT, size - off))
            await e.store.readAt(id, got, off)
            for (let i = 0; i < got.length; i += UNIT) {
              if (!matchesTag(got.subarray(i, i + UNIT), tags[(off + i) / UNIT] ?? 0, off + i)) {
                errors.push(`${id}: unit at ${off + i} differs`)
                break
              }
            }
            bytesVerified += got.length
            reads++
          }
        } catch (err) {
          errors.push(`${id}: ${String(err)}`)
        }
      }
    }
    await Promise.all(Array.from({ length: clients }, (_, c) => client(c)))
    const drained = await e.store.drainAllUploads()
    for (const f of drained.failed) errors.push(`drain ${f.blockId}: ${f.code}`)
  }
  clearInterval(sampler)
  delay.disable()
  return {
    clients,
    durationMs,
    reads,
    writes,
    bytesVerified,
    errors: errors.slice(0, 20),
    maxRssBytes: maxRss,
    eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
    eventLoopDelayMaxMs: delay.max / 1e6,
    fdsBefore,
    fdsAfter: await openFds(),
  }
}
