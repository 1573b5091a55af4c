/**
 * Metadata stores: put, get, find-by-hash and CAS transitions per second on a populated table,
 * each against the raw driver doing the equivalent single statement in the same run; and
 * listFileBlocks of one large payload at two total table sizes (must not grow with the table);
 * countBlocks (statistics) against a per-payload walk of the rows.
 */
import { join } from 'node:path'
import { BlockState, type FileBlock } from '../../src/core/block.js'
import { MemoryMetadataStore } from '../../src/meta/memory/memory-metadata-store.js'
import { type BenchContext, type Comparison, medianOf, type Workload } from '../harness.js'
import { openPostgresTarget } from '../meta/postgres-target.js'
import { openSqliteTarget } from '../meta/sqlite-target.js'
import { bulkRow, type Target } from '../meta/target.js'

function freshRow(id: string): FileBlock {
  return { ...bulkRow(0, 1), id, state: BlockState.Local, blockStoreKey: '', version: 0 }
}

async function opsPerSecond(count: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = performance.now()
  for (let i = 0; i < count; i++) await op(i)
  return count / ((performance.now() - t0) / 1000)
}

let round = 0

async function measureOps(ctx: BenchContext, t: Target, rows: number): Promise<Comparison[]> {
  const writes = ctx.quick ? 200 : 2000
  const reads = ctx.quick ? 2000 : 20000
  const bulk = (i: number): FileBlock => bulkRow((i * 7919) % rows, PAYLOAD_BLOCKS)
  const syncing = (id: string): FileBlock => ({ ...freshRow(id), state: BlockState.Syncing })
  const measure = async (
    what: string,
    count: number,
    store: (i: number, r: number) => Promise<unknown>,
    raw: (i: number, r: number) => Promise<unknown>,
    prepare?: { store(id: string): Promise<unknown>; raw(id: string): Promise<unknown> },
  ): Promise<Comparison> => {
    const timed = (
      op: (i: number, r: number) => Promise<unknown>,
      prep?: (id: string) => Promise<unknown>,
    ) =>
      medianOf(ctx.repetitions, async () => {
        const r = round++
        if (prep !== undefined) for (let i = 0; i < count; i++) await prep(`ops/${r}/${i}`)
        return opsPerSecond(count, (i) => op(i, r))
      })
    const value = await timed(store, prepare?.store)
    const baseline = await timed(raw, prepare?.raw)
    ctx.log(`${t.name} ${what}: ${value.toFixed(0)} ops/s vs raw ${baseline.toFixed(0)} ops/s`)
    return {
      name: `${t.name} ${what} (${rows} rows)`,
      unit: 'ops/s',
      higherIsBetter: true,
      value,
      baselineName: t.raw.name,
      baseline,
    }
  }
  return [
    await measure(
      'putFileBlock',
      writes,
      (i, r) => t.store.putFileBlock(freshRow(`ops/${r}/${i}`)),
      (i, r) => t.raw.put(freshRow(`ops/${r}/${i}`)),
    ),
    await measure(
      'getFileBlock',
      reads,
      (i) => t.store.getFileBlock(bulk(i).id),
      (i) => t.raw.get(bulk(i).id),
    ),
    await measure(
      'findFileBlockByHash',
      reads,
      (i) => t.store.findFileBlockByHash(bulk(i).hash),
      (i) => t.raw.findByHash(bulk(i).hash.toString()),
    ),
    // Local -> Syncing on rows stored at version 1 just before the timer starts.
    await measure(
      'compareAndPutFileBlock Local->Syncing',
      writes,
      (i, r) => t.store.compareAndPutFileBlock(syncing(`ops/${r}/${i}`), 1),
      (i, r) => t.raw.cas(`ops/${r}/${i}`, 1),
      {
        store: (id) => t.store.putFileBlock(freshRow(id)),
        raw: (id) => t.raw.put(freshRow(id)),
      },
    ),
  ]
}

let PAYLOAD_BLOCKS = 10_000

async function measureList(ctx: BenchContext, t: Target, total: number): Promise<Comparison> {
  const value = await medianOf(ctx.repetitions, async () => {
    const t0 = performance.now()
    const rows = await t.store.listFileBlocks('bulk/0')
    if (rows.length !== PAYLOAD_BLOCKS) throw new Error(`listed ${rows.length} rows`)
    return performance.now() - t0
  })
  const baseline = await medianOf(ctx.repetitions, async () => {
    const t0 = performance.now()
    const n = await t.raw.listPayload('bulk/0')
    if (n !== PAYLOAD_BLOCKS) throw new Error(`raw listed ${n} rows`)
    return performance.now() - t0
  })
  ctx.log(
    `${t.name} listFileBlocks among ${total}: ${value.toFixed(1)} ms vs raw ${baseline.toFixed(1)} ms`,
  )
  return {
    name: `${t.name} listFileBlocks of ${PAYLOAD_BLOCKS} blocks among ${total} rows`,
    unit: 'ms',
    higherIsBetter: false,
    value,
    baselineName: `${t.raw.name} (same query)`,
    baseline,
  }
}

/**
 * Block counts for statistics: one `countBlocks` against what stats did before it existed, a
 * `listFileBlocks` per payload, decoding every row (both over the same table, same run).
 */
async function measureCounts(ctx: BenchContext, t: Target, total: number): Promise<Comparison> {
  const payloads = Math.ceil(total / PAYLOAD_BLOCKS)
  const value = await medianOf(ctx.repetitions, async () => {
    const t0 = performance.now()
    const c = await t.store.countBlocks()
    // Bulk rows are Remote; the ops measurements added a few Local ones.
    if (c.remote !== total) throw new Error(`counted ${JSON.stringify(c)}`)
    return performance.now() - t0
  })
  const baseline = await medianOf(ctx.repetitions, async () => {
    const t0 = performance.now()
    let n = 0
    for (let i = 0; i < payloads; i++) n += (await t.store.listFileBlocks(`bulk/${i}`)).length
    if (n !== total) throw new Error(`walked ${n} rows`)
    return performance.now() - t0
  })
  ctx.log(
    `${t.name} countBlocks of ${total}: ${value.toFixed(1)} ms vs walk ${baseline.toFixed(1)} ms`,
  )
  return {
    name: `${t.name} countBlocks of ${total} rows`,
    unit: 'ms',
    higherIsBetter: false,
    value,
    baselineName: `listFileBlocks of each of ${payloads} payloads (stats before countBlocks)`,
    baseline,
  }
}

async function runTarget(ctx: BenchContext, t: Target): Promise<Comparison[]> {
  const [small, large] = ctx.quick ? [10_000, 100_000] : [100_000, 1_000_000]
  ctx.log(`${t.name}: loading ${small} rows`)
  await t.load(0, small, PAYLOAD_BLOCKS)
  const results = await measureOps(ctx, t, small)
  const listSmall = await measureList(ctx, t, small)
  ctx.log(`${t.name}: loading up to ${large} rows`)
  await t.load(small, large, PAYLOAD_BLOCKS)
  const listLarge = await measureList(ctx, t, large)
  const growth = listLarge.value / listSmall.value
  results.push(listSmall, { ...listLarge, notes: { growthVsSmallTable: growth.toFixed(2) } })
  results.push(await measureCounts(ctx, t, large))
  return results
}

// Keeps the baseline's copies observable so they are not optimised away.
export let sink: FileBlock | undefined

function memoryTarget(store: MemoryMetadataStore): Target {
  const rows = new Map<string, FileBlock>()
  const byHash = new Map<string, string>()
  return {
    name: 'memory',
    store,
    raw: {
      name: 'raw Map',
      put: async (row) => {
        rows.set(row.id, { ...row })
      },
      get: async (id) => {
        const row = rows.get(id)
        if (row !== undefined) sink = { ...row }
      },
      findByHash: async (hex) => {
        const row = rows.get(byHash.get(hex) ?? '')
        if (row !== undefined) sink = { ...row }
      },
      cas: async (id, expected) => {
        const row = rows.get(id)
        if (row !== undefined && row.version === expected)
          rows.set(id, { ...row, version: expected + 1 })
      },
      listPayload: async (payloadId) => {
        const out: FileBlock[] = []
        for (let i = 0; i < PAYLOAD_BLOCKS; i++) {
          const row = rows.get(`${payloadId}/${i}`)
          if (row !== undefined) out.push({ ...row })
        }
        return out.length
      },
    },
    load: async (from, to, payloadBlocks) => {
      for (let i = from; i < to; i++) {
        const row = bulkRow(i, payloadBlocks)
        await store.putFileBlock(row)
        // The baseline mirrors the rows the measurements touch (the first table size).
        if (i < 200_000) {
          rows.set(row.id, { ...row, version: 1 })
          byHash.set(row.hash.toString(), row.id)
        }
      }
    },
    close: () => store.close(),
  }
}

const workload: Workload = {
  name: 'meta',
  description: 'metadata stores (memory, SQLite, PostgreSQL) vs raw driver statements',
  async run(ctx): Promise<Comparison[]> {
    PAYLOAD_BLOCKS = ctx.quick ? 1000 : 10_000
    const results: Comparison[] = []
    const targets: Array<() => Promise<Target | undefined>> = [
      async () => memoryTarget(await MemoryMetadataStore.open()),
      () => openSqliteTarget(join(ctx.scratchDir, 'meta.db')),
      () => openPostgresTarget(ctx.log),
    ]
    for (const open of targets) {
      const target = await open()
      if (target === undefined) continue
      try {
        results.push(...(await runTarget(ctx, target)))
      } finally {
        await target.close()
      }
    }
    return results
  },
}
export default workload
