/** Engines and data for the engine benchmarks. */
import { randomFillSync } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { BlockSize } from '../../src/core/constants.js'
import type { RemoteStore } from '../../src/core/remote-store.js'
import type { Engine } from '../../src/engine/engine.js'
import { openBlockStore } from '../../src/engine/index.js'

/** Bytes of block `i` of a benchmark payload: random, distinct per block (no accidental dedup). */
export function blockBytes(i: number, seedBlock: Uint8Array): Uint8Array {
  const out = seedBlock.slice()
  new DataView(out.buffer).setFloat64(0, i)
  new DataView(out.buffer).setFloat64(BlockSize - 8, i + 0.5)
  return out
}

/** One random block to derive the others from. */
export function seedBlock(): Uint8Array {
  return randomFillSync(new Uint8Array(BlockSize))
}

/** fs local in `dir` + the given remote (fs in `dir` when undefined) + SQLite in `dir`. */
export async function openBenchEngine(
  dir: string,
  remote: RemoteStore | undefined,
  extra: { prefetchWorkers?: number; readBufferBytes?: number; rangedReadThreshold?: number } = {},
): Promise<Engine> {
  await mkdir(dir, { recursive: true })
  return openBlockStore({
    local: { kind: 'fs', dir: join(dir, 'local'), maxDiskBytes: 0 },
    remote: remote ?? { kind: 'fs', dir: join(dir, 'remote') },
    metadata: { kind: 'sqlite', path: join(dir, 'meta.db') },
    ...(extra.prefetchWorkers === undefined ? {} : { prefetchWorkers: extra.prefetchWorkers }),
    ...(extra.readBufferBytes === undefined ? {} : { readBufferBytes: extra.readBufferBytes }),
    ...(extra.rangedReadThreshold === undefined
      ? {}
      : { rangedReadThreshold: extra.rangedReadThreshold }),
    // Uploads only when the benchmark drains, so each figure measures one thing.
    syncer: { parallelUploads: 8, parallelFetches: 8, uploadIntervalMs: 3_600_000 },
  })
}

/**
 * Writes `blocks` blocks to `pid` in 1 MiB writes; block `b` holds `blockBytes(first + b)`, so
 * payloads written with different `first` share no content (nothing deduplicates).
 */
export async function writePayload(
  engine: Engine,
  pid: string,
  blocks: number,
  seed: Uint8Array,
  first = 0,
): Promise<void> {
  const chunk = 1024 * 1024
  for (let b = 0; b < blocks; b++) {
    const data = blockBytes(first + b, seed)
    for (let at = 0; at < BlockSize; at += chunk) {
      await engine.writeAt(pid, data.subarray(at, at + chunk), b * BlockSize + at)
    }
  }
}
