/**
 * Small payloads made durable: N payloads of 4 KiB each, written and flushed one by one
 * (16 writers), against the same payloads written and then flushed in batches (`flushMany`
 * of 64) and in one `flushAll`. Figures are payloads made durable per second.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { openTestEngine } from '../../test/support/engine-fixture.js'
import { benchEngine } from '../../test/support/engine-presets.js'
import { type BenchContext, type Comparison, median } from '../harness.js'

const Writers = 16
const Batch = 64

/** Runs `fn(i)` for i in [0, n) with `writers` in flight. */
async function each(n: number, writers: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let i = next++; i < n; i = next++) await fn(i)
    }),
  )
}

type Mode = 'each' | 'flushMany' | 'flushAll'

/** Payloads durable per second for one mode, on a fresh engine. */
async function rate(dir: string, n: number, mode: Mode, run: number): Promise<number> {
  const bench = await openTestEngine(benchEngine(dir, undefined))
  const { engine } = bench
  try {
    const data = new Uint8Array(4096)
    const id = (i: number): string => `small/${run}/${i}`
    const write = (i: number): Promise<void> => {
      // Distinct bytes per payload: nothing deduplicates.
      new DataView(data.buffer).setUint32(0, run * 1_000_000 + i)
      return engine.writeAt(id(i), data, 0)
    }
    const check = (r: { failures: readonly { message: string }[] }): void => {
      if (r.failures.length > 0) throw new Error(`flush failed: ${r.failures[0]?.message}`)
    }
    const t0 = performance.now()
    if (mode === 'each') {
      await each(n, Writers, async (i) => {
        await write(i)
        await engine.flush(id(i))
      })
    } else if (mode === 'flushMany') {
      for (let first = 0; first < n; first += Batch) {
        const ids = Array.from({ length: Math.min(Batch, n - first) }, (_, k) => first + k)
        await each(ids.length, Writers, (k) => write(first + k))
        check(await engine.flushMany(ids.map(id)))
      }
    } else {
      await each(n, Writers, write)
      check(await engine.flushAll())
    }
    return (n * 1000) / (performance.now() - t0)
  } finally {
    await bench.close()
    await rm(dir, { recursive: true, force: true })
  }
}

/** The rows: each batch mode against the per-payload flush, alternating runs. */
export async function smallFlushFigures(ctx: BenchContext): Promise<Comparison[]> {
  const n = ctx.quick ? 400 : 2000
  const runs: Record<Mode, number[]> = { each: [], flushMany: [], flushAll: [] }
  let run = 0
  for (let rep = 0; rep < ctx.repetitions; rep++) {
    for (const mode of ['each', 'flushMany', 'flushAll'] as const) {
      runs[mode].push(await rate(join(ctx.scratchDir, `small-${mode}`), n, mode, ++run))
    }
  }
  const each16 = median(runs.each)
  ctx.log(
    `4 KiB payloads: flush each ${each16.toFixed(0)}/s, flushMany(${Batch}) ${median(runs.flushMany).toFixed(0)}/s, flushAll ${median(runs.flushAll).toFixed(0)}/s`,
  )
  const baselineName = `4 KiB write + flush per payload, ${Writers} concurrent`
  return [
    {
      name: `${n} x 4 KiB written, flushMany every ${Batch} payloads`,
      unit: 'payloads/s',
      higherIsBetter: true,
      value: median(runs.flushMany),
      baselineName,
      baseline: each16,
    },
    {
      name: `${n} x 4 KiB written, then one flushAll`,
      unit: 'payloads/s',
      higherIsBetter: true,
      value: median(runs.flushAll),
      baselineName,
      baseline: each16,
    },
  ]
}
