/**
 * Garbage collection over 100,000 and 1,000,000 remote objects (memory remote, rows in the
 * memory metadata store; 90 % referenced, 10 % orphans): time and peak RSS of a full run
 * against a raw listing of the same remote in the same run (the floor any sweep pays).
 */
import { BlockState, newFileBlock } from '../../src/core/block.js'
import { collectGarbage } from '../../src/gc/collect-garbage.js'
import { MemoryMetadataStore } from '../../src/meta/memory/memory-metadata-store.js'
import { MemoryRemoteStore } from '../../src/remote/memory/memory-remote-store.js'
import { type Comparison, medianOf, trackPeakRss, type Workload } from '../harness.js'

const MiB = 1024 * 1024
const later = (): number => Date.now() + 2 * 3_600_000

function keyOf(i: number): string {
  const hex = (i * 2654435761 + 0x9e3779b9).toString(16).padStart(16, '0').repeat(4).slice(0, 64)
  return `blocks/${hex.slice(0, 2)}/${hex}`
}

async function populate(
  n: number,
): Promise<{ metadata: MemoryMetadataStore; remote: MemoryRemoteStore; orphans: string[] }> {
  const metadata = await MemoryMetadataStore.open()
  const remote = new MemoryRemoteStore()
  const tiny = new Uint8Array(16)
  const orphans: string[] = []
  for (let i = 0; i < n; i++) {
    const key = keyOf(i)
    await remote.writeBlock(key, tiny)
    if (i % 10 === 9) orphans.push(key)
    else {
      await metadata.putFileBlock({
        ...newFileBlock(`bench/p${Math.floor(i / 1000)}/${i % 1000}`, ''),
        state: BlockState.Remote,
        blockStoreKey: key,
        dataSize: tiny.length,
      })
    }
  }
  return { metadata, remote, orphans }
}

const workload: Workload = {
  name: 'gc',
  description: 'mark-and-sweep GC over 100k and 1M objects vs a raw listing of the same remote',
  async run(ctx): Promise<Comparison[]> {
    const sizes = ctx.quick ? [10_000, 50_000] : [100_000, 1_000_000]
    const out: Comparison[] = []
    for (const n of sizes) {
      ctx.log(`populating ${n} objects`)
      const { metadata, remote, orphans } = await populate(n)
      global.gc?.()
      const listRssBefore = process.memoryUsage.rss()
      let listPeakDelta = 0
      const listMs = await medianOf(ctx.repetitions, async () => {
        const rss = trackPeakRss(5)
        const t0 = performance.now()
        let count = 0
        for await (const _ of remote.listObjects('')) count++
        if (count !== n) throw new Error(`listed ${count}`)
        const ms = performance.now() - t0
        listPeakDelta = Math.max(listPeakDelta, rss.stop() - listRssBefore)
        return ms
      })
      global.gc?.()
      const rssBefore = process.memoryUsage.rss()
      let peakDelta = 0
      let deleted = 0
      const gcMs = await medianOf(ctx.repetitions, async () => {
        const tiny = new Uint8Array(16)
        for (const key of orphans) await remote.writeBlock(key, tiny)
        const rss = trackPeakRss(5)
        const t0 = performance.now()
        const r = await collectGarbage({ metadata, remote, now: later, parallelDeletes: 16 })
        const ms = performance.now() - t0
        peakDelta = Math.max(peakDelta, rss.stop() - rssBefore)
        deleted = r.deleted
        if (r.errors !== 0 || r.deleted !== orphans.length)
          throw new Error(`bad run ${JSON.stringify(r)}`)
        return ms
      })
      ctx.log(
        `${n}: gc ${gcMs.toFixed(0)} ms, list ${listMs.toFixed(0)} ms, +${(peakDelta / MiB).toFixed(0)} MiB RSS`,
      )
      out.push({
        name: `gc over ${n} objects (${deleted} orphans deleted)`,
        unit: 'ms',
        higherIsBetter: false,
        value: gcMs,
        baselineName: 'raw listObjects of the same remote',
        baseline: listMs,
        notes: {
          peakRssGrowthMiB: Math.round(peakDelta / MiB),
          listingPeakRssGrowthMiB: Math.round(listPeakDelta / MiB),
          rssBeforeMiB: Math.round(rssBefore / MiB),
          usPerObject: Math.round((gcMs * 1000) / n),
        },
      })
      await metadata.close()
      await remote.close()
    }
    return out
  },
}
export default workload
