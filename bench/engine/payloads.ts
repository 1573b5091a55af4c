/**
 * Payload bytes of the engine benchmarks (the engine they open: benchEngine, in
 * test/support/engine-presets.ts).
 */
import { randomFillSync } from 'node:crypto'
import { BlockSize } from '../../src/core/constants.js'
import type { Engine } from '../../src/engine/engine.js'

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
