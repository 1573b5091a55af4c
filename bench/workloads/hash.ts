/**
 * SHA-256 of 8 MiB blocks: the engine's hashing path against raw `openssl speed`-style
 * throughput (one node:crypto digest of one big buffer, no per-block framing).
 *
 * Also the upload's second pass: the 4 KiB leaf hashes of a block's chunk index (what lets a
 * random 4 KiB cold read fetch and verify about 4 KiB), against the whole-block digest. Each
 * leaf is one call into OpenSSL, and the calls' fixed cost makes this pass dearer than the
 * whole-block one: on the 2-core VM 0.91-1.04 CPU s/GiB against 0.63-0.65, most of a raw S3
 * PutObject's whole CPU (1.29-1.41 s/GiB, its SigV4 body hash included). It is a floor under
 * the drain's CPU per GiB for as long as 4 KiB reads are verified (docs/architecture.md).
 */
import { createHash } from 'node:crypto'
import { BlockSize } from '../../src/core/constants.js'
import { leafHashes } from '../../src/platform/chunk-tree.js'
import { hashBlock } from '../../src/platform/hash-block.js'
import { alternate, cpuSecondsPerGiB, summarise, timed } from '../engine/measure.js'
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
    // Alternating so a swing of the machine hits both passes alike.
    const passes = await alternate(
      Math.max(3, ctx.repetitions),
      () =>
        timed(async () => {
          for (let i = 0; i < blocks; i++) leafHashes(data)
        }),
      () =>
        timed(async () => {
          for (let i = 0; i < blocks; i++) hashBlock(data)
        }),
    )
    const leafRuns = passes.ours.map((t) => cpuSecondsPerGiB(t, total))
    const leaf = summarise(passes.ours, total).cpuPerGiB
    const whole = summarise(passes.raw, total).cpuPerGiB
    ctx.log(
      `engine ${engine.toFixed(0)} MiB/s, raw ${raw.toFixed(0)} MiB/s; leaf hashes ${leaf.toFixed(2)} vs whole ${whole.toFixed(2)} CPU s/GiB`,
    )
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
      {
        name: `4 KiB leaf hashes (chunk index) of ${blocks} x 8 MiB blocks`,
        unit: 'CPU s/GiB',
        higherIsBetter: false,
        value: leaf,
        baselineName: 'one SHA-256 of each whole block',
        baseline: whole,
        notes: { leafRuns: leafRuns.map((x) => x.toFixed(2)).join('/') },
      },
    ]
  },
}
export default workload
