/**
 * Driver (not a workload): the cold sequential read taken apart step by step, each with 8 in
 * flight on one client, over the same `--mib` MiB (default 512) of block objects uploaded by
 * the engine: raw GetObject (SDK body helper), S3RemoteStore.readBlock, + SHA-256 on a hashing
 * thread, Fetcher.fetchBlock, and the engine's cold read (8 MiB reads). Rounds alternate the
 * order; medians of `--reps` (default 3) with CPU seconds per GiB beside each.
 *   node --import tsx bench/engine/cold-steps.ts --mib 512 --reps 3
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { GetObjectCommand } from '@aws-sdk/client-s3'
import { BlockState, newFileBlock } from '../../src/core/block.js'
import { BlockSize } from '../../src/core/constants.js'
import { forEachBounded } from '../../src/core/for-each-bounded.js'
import { formatContentKey } from '../../src/core/keys.js'
import { Fetcher } from '../../src/fetch/fetcher.js'
import { hashBlock, hashOwnedBlock, hashWorkerStats } from '../../src/platform/hash-block.js'
import { openTestEngine } from '../../test/support/engine-fixture.js'
import { benchEngine } from '../../test/support/engine-presets.js'
import { summarise, type Timed, timed } from './measure.js'
import { blockBytes, seedBlock, writePayload } from './payloads.js'
import { startS3Target } from './s3-target.js'

const { values } = parseArgs({ options: { mib: { type: 'string' }, reps: { type: 'string' } } })
const blocks = Number(values.mib ?? 512) / 8
const reps = Number(values.reps ?? 3)
const bytes = blocks * BlockSize
const dir = await mkdtemp(join(tmpdir(), 'cold-steps-'))
const target = await startS3Target()
try {
  const { store, client } = await target.open()
  const bench = await openTestEngine(benchEngine(dir, store))
  const seed = seedBlock()
  await writePayload(bench.engine, 'p', blocks, seed)
  await bench.engine.flush('p')
  await bench.engine.drainAllUploads()
  // The rows the engine recorded: each block's content key is the SHA-256 of its bytes.
  const rows = Array.from({ length: blocks }, (_, b) => {
    const hash = hashBlock(blockBytes(b, seed))
    return {
      ...newFileBlock(`p/${b}`, ''),
      state: BlockState.Remote,
      hash,
      blockStoreKey: formatContentKey(hash),
      dataSize: BlockSize,
    }
  })
  const keys = rows.map((r) => r.blockStoreKey)
  const steps: Record<string, () => Promise<unknown>> = {
    'raw GetObject': () =>
      forEachBounded(keys, 8, async (k) => {
        const o = await client.send(new GetObjectCommand({ Bucket: target.bucket, Key: k }))
        await o.Body?.transformToByteArray()
      }),
    'store.readBlock': () => forEachBounded(keys, 8, (k) => store.readBlock(k)),
    '+ verify (hash thread)': () =>
      forEachBounded(keys, 8, async (k) => hashOwnedBlock(await store.readBlock(k))),
    'Fetcher.fetchBlock': () => {
      const f = new Fetcher({ remote: store })
      return forEachBounded(rows, 8, (r) => f.fetchBlock(r))
    },
    'engine cold read': async () => {
      const dest = new Uint8Array(BlockSize)
      for (let b = 0; b < blocks; b++) await bench.engine.readAt('p', dest, b * BlockSize)
    },
  }
  // A fresh engine (empty read buffer, nothing local) before each engine run, outside its time.
  const prepare = async (): Promise<void> => {
    await bench.reopen()
    await bench.engine.evict()
  }
  const names = Object.keys(steps)
  const runs = new Map<string, Timed[]>(names.map((n) => [n, []]))
  for (let rep = 0; rep < reps; rep++) {
    const order = rep % 2 === 0 ? names : [...names].reverse()
    for (const n of order) {
      if (n === 'engine cold read') await prepare()
      const h0 = hashWorkerStats()
      runs.get(n)!.push(await timed(steps[n]!))
      const h1 = hashWorkerStats()
      if (h1.jobs > h0.jobs) {
        console.log(`${n}: ${h1.jobs - h0.jobs} hashed, ${h1.spawned - h0.spawned} threads started`)
      }
    }
  }
  for (const n of names) {
    const s = summarise(runs.get(n)!, bytes)
    console.log(
      `${n.padEnd(24)} ${s.mibps.toFixed(0).padStart(5)} MiB/s  ${s.cpuPerGiB.toFixed(2)} CPU s/GiB  runs ${s.runs.join('/')}`,
    )
  }
  await bench.close()
  await store.deleteByPrefix('')
  await store.close()
  client.destroy()
} finally {
  await target.stop()
  await rm(dir, { recursive: true, force: true })
}
