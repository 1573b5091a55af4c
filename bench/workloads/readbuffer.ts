/**
 * Read buffer hit path: a warm sequential re-read served from the ReadBuffer in 1 MiB reads,
 * and the cost of one 4 KiB hit, each against a plain `Buffer.copy` of the same bytes out
 * of a pre-allocated array of blocks (the floor for any in-memory cache).
 */
import { BlockSize } from '../../src/core/constants.js'
import { createReadBuffer } from '../../src/readbuffer/create-read-buffer.js'
import { type Comparison, median, mibPerSecond, type Workload } from '../harness.js'

const MiB = 1024 * 1024
const PAYLOAD = 'bench/readbuffer'

/** Times `fn` and returns milliseconds. */
function timed(fn: () => void): number {
  const t0 = performance.now()
  fn()
  return performance.now() - t0
}

const workload: Workload = {
  name: 'readbuffer',
  description: 'ReadBuffer warm re-read and 4 KiB hit cost vs plain Buffer.copy',
  async run(ctx): Promise<Comparison[]> {
    const blocks = ctx.quick ? 4 : 32
    const total = blocks * BlockSize
    const source = Array.from({ length: blocks }, (_, b) => {
      const block = Buffer.allocUnsafe(BlockSize)
      for (let i = 0; i < BlockSize; i += 4096) block.fill((b * 31 + i) & 0xff, i, i + 4096)
      return block
    })
    await using buffer = createReadBuffer(total)
    for (let b = 0; b < blocks; b++) buffer.put(PAYLOAD, b, source[b]!)
    if (buffer.stats().entries !== blocks)
      throw new Error('the read buffer did not hold every block')

    const dest = Buffer.allocUnsafe(MiB)
    const readAll = (chunk: number): number => {
      let bytes = 0
      const view = dest.subarray(0, chunk)
      for (let b = 0; b < blocks; b++) {
        for (let off = 0; off < BlockSize; off += chunk) {
          bytes += buffer.get(PAYLOAD, b, view, off) ?? 0
        }
      }
      return bytes
    }
    const copyAll = (chunk: number): number => {
      let bytes = 0
      for (let b = 0; b < blocks; b++) {
        const block = source[b]!
        for (let off = 0; off < BlockSize; off += chunk)
          bytes += block.copy(dest, 0, off, off + chunk)
      }
      return bytes
    }
    const check = (bytes: number): void => {
      if (bytes !== total) throw new Error(`read ${bytes} bytes, expected ${total}`)
    }
    // Warm-up so both paths run optimised code.
    check(readAll(MiB))
    check(copyAll(MiB))

    // Both paths are measured in every repetition, alternating which goes first, so drift
    // on a shared machine (GC, frequency, neighbours) lands on both alike.
    const measure = (chunk: number): { buffer: number; copy: number } => {
      const buf: number[] = []
      const raw: number[] = []
      for (let r = 0; r < Math.max(3, ctx.repetitions); r++) {
        const order = r % 2 === 0 ? [readAll, copyAll] : [copyAll, readAll]
        for (const fn of order) {
          let bytes = 0
          const ms = timed(() => {
            bytes = fn(chunk)
          })
          check(bytes)
          ;(fn === readAll ? buf : raw).push(ms)
        }
      }
      return { buffer: median(buf), copy: median(raw) }
    }
    const big = measure(MiB)
    const bufferMiBs = mibPerSecond(total, big.buffer)
    const copyMiBs = mibPerSecond(total, big.copy)
    ctx.log(
      `1 MiB reads: buffer ${bufferMiBs.toFixed(0)} MiB/s, Buffer.copy ${copyMiBs.toFixed(0)} MiB/s`,
    )

    const small = 4096
    const ops = total / small
    const hit = measure(small)
    const bufferNs = (hit.buffer * 1e6) / ops
    const copyNs = (hit.copy * 1e6) / ops
    ctx.log(`4 KiB hit: buffer ${bufferNs.toFixed(0)} ns, Buffer.copy ${copyNs.toFixed(0)} ns`)
    const stats = buffer.stats()
    return [
      {
        name: `warm re-read of ${total / MiB} MiB from the read buffer in 1 MiB reads`,
        unit: 'MiB/s',
        higherIsBetter: true,
        value: bufferMiBs,
        baselineName: 'Buffer.copy of the same bytes from pre-allocated blocks',
        baseline: copyMiBs,
        notes: { hits: stats.hits, misses: stats.misses },
      },
      {
        name: 'cost of one 4 KiB read-buffer hit',
        unit: 'ns/op',
        higherIsBetter: false,
        value: bufferNs,
        baselineName: 'Buffer.copy of 4 KiB from a pre-allocated block',
        baseline: copyNs,
        notes: { reads: ops },
      },
    ]
  },
}
export default workload
