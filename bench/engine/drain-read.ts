/**
 * Driver (not a workload): only the drain and cold sequential read figures of the engine
 * benchmark, alternating with raw SDK calls, medians of `--reps` runs (default 3) of `--mib`
 * MiB (default 1024). Faster to iterate on than the whole `engine` workload.
 *   node --import tsx bench/engine/drain-read.ts --mib 1024 --reps 3
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { seedBlock } from './payloads.js'
import { drainAndColdRead } from './s3-figures.js'
import { startS3Target } from './s3-target.js'

const { values } = parseArgs({ options: { mib: { type: 'string' }, reps: { type: 'string' } } })
const blocks = Number(values.mib ?? 1024) / 8
const scratch = await mkdtemp(join(tmpdir(), 'drain-read-'))
const target = await startS3Target()
try {
  const conn = await target.open()
  const ctx = {
    repetitions: Number(values.reps ?? 3),
    quick: false,
    scratchDir: scratch,
    log: (m: string) => console.log(m),
  }
  const { comparisons, bench } = await drainAndColdRead(ctx, target, conn, blocks, seedBlock())
  for (const c of comparisons) {
    const ratio = c.baseline === undefined ? Number.NaN : c.value / c.baseline
    console.log(
      `${c.name}: ${c.value.toFixed(0)} vs ${c.baseline?.toFixed(0)} = ${ratio.toFixed(2)}x`,
      c.notes,
    )
  }
  await bench.close()
  await conn.store.deleteByPrefix('')
  await conn.store.close()
  conn.client.destroy()
} finally {
  await target.stop()
  await rm(scratch, { recursive: true, force: true })
}
