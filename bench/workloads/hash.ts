/**
 * SHA-256 of 8 MiB blocks: the engine's hashing path against raw `openssl speed`-style
 * throughput (one node:crypto digest of one big buffer, no per-block framing).
 */
import { createHash } from 'node:crypto'
import { BlockSize } from '../../src/core/constants.js'
import { hashBlock } from '../../src/platform/hash-block.js'
import { type Comparison, medianOf, mibPerSecond, type Workload } from '../harness.js'

const workload: Workload = {
  name: 'hash',
  description: 'SHA-256 of 8 MiB blocks vs raw crypto throughput',
  async run(ctx): Promise<Comparison[]> {
    const blocks = ctx.quick ? 4 : 64
    const data = new Uint8Array(BlockSize)
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24
    const total = blocks * BlockSize

    const engine = await medianOf(ctx.repetitions, async () => {
      const t0 = performance.now()
      for (let i = 0; i < blocks; i++) hashBlock(data)
      return mibPerSecond(total, performance.now() - t0)
    })
    // Baseline: the same bytes through one streaming digest, as `openssl speed` measures.
    const raw = await medianOf(ctx.repetitions, async () => {
      const t0 = performance.now()
      const h = createHash('sha256')
      for (let i = 0; i < blocks; i++) h.update(data)
      h.digest()
      return mibPerSecond(total, performance.now() - t0)
    })
    ctx.log(`engine ${engine.toFixed(0)} MiB/s, raw ${raw.toFixed(0)} MiB/s`)
    return [
      {
        name: `SHA-256 of ${blocks} x 8 MiB blocks`,
        unit: 'MiB/s',
        higherIsBetter: true,
        value: engine,
        baselineName: 'raw streaming sha256 (openssl speed style)',
        baseline: raw,
        goal: 0.95,
      },
    ]
  },
}
export default workload
