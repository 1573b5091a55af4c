/**
 * Profiling driver (not a workload): one drain and one cold sequential read of `--mib` MiB
 * (default 512) against the benchmark S3 server, for `node --cpu-prof`. Prints throughput,
 * CPU seconds per GiB and event-loop utilisation of each phase, and how busy the machine was
 * with the server's processes' share (on one VM they compete with the engine for the cores).
 * With `--prof-dir DIR`, each phase's CPU profile (main thread) is written to
 * DIR/<phase>.cpuprofile.
 *   node --import tsx bench/engine/profile-remote.ts read --mib 512 --prof-dir /tmp/prof
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { BlockSize } from '../../src/core/constants.js'
import { forEachBounded } from '../../src/core/for-each-bounded.js'
import { openTestEngine } from '../../test/support/engine-fixture.js'
import { benchEngine } from '../../test/support/engine-presets.js'
import {
  cpuSecondsPerGiB,
  formatMachineCpu,
  formatThreadCpu,
  machineCpu,
  processesCpu,
  threadCpu,
  timed,
} from './measure.js'
import { blockBytes, seedBlock, writePayload } from './payloads.js'
import { startS3Target } from './s3-target.js'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { mib: { type: 'string' }, 'prof-dir': { type: 'string' }, workers: { type: 'string' } },
})
/** The benchmark S3 server's processes (Ceph RGW and its daemons, or s3rver runs in-process). */
const SERVER_PROCESSES = /^(radosgw|ceph-osd|ceph-mon|ceph-mgr)$/
const phases = new Set(positionals.length === 0 ? ['drain', 'read'] : positionals)
const blocks = Number(values.mib ?? 512) / 8
const bytes = blocks * BlockSize
const target = await startS3Target()
const dir = await mkdtemp(join(tmpdir(), 'profile-remote-'))
try {
  const { store, client } = await target.open()
  // Average requests in flight = summed request time / wall time (readBlock and writeBlock).
  let busyMs = 0
  for (const op of ['readBlock', 'writeBlock'] as const) {
    const original = store[op].bind(store) as (...a: unknown[]) => Promise<unknown>
    ;(store as unknown as Record<string, unknown>)[op] = async (...a: unknown[]) => {
      const t0 = performance.now()
      try {
        return await original(...a)
      } finally {
        busyMs += performance.now() - t0
      }
    }
  }
  let bench = await openTestEngine(benchEngine(dir, store))
  await writePayload(bench.engine, 'p', blocks, seedBlock())
  await bench.engine.flush('p')
  const profDir = values['prof-dir']
  const session = new Session()
  session.connect()
  const report = async (name: string, fn: () => Promise<unknown>): Promise<void> => {
    if (profDir !== undefined) {
      await session.post('Profiler.enable')
      await session.post('Profiler.start')
    }
    const elu0 = performance.eventLoopUtilization()
    const r0 = store.stats().requests
    busyMs = 0
    const threads0 = threadCpu()
    const cpuNow = () => ({ machine: machineCpu(), server: processesCpu(SERVER_PROCESSES) })
    const machine0 = cpuNow()
    const t = await timed(fn)
    const machine1 = cpuNow()
    const inFlight = busyMs / t.ms
    const elu = performance.eventLoopUtilization(elu0).utilization
    if (profDir !== undefined) {
      const { profile } = await session.post('Profiler.stop')
      await writeFile(
        join(profDir, `${name.replace(' ', '-')}.cpuprofile`),
        JSON.stringify(profile),
      )
    }
    const r1 = store.stats().requests
    const reqs = Object.keys(r1)
      .map((k) => `${k}=${((r1[k] ?? 0) - (r0[k] ?? 0)) / blocks}`)
      .filter((s) => !s.endsWith('=0'))
    console.log(
      `${name}: ${(bytes / 1048576 / (t.ms / 1000)).toFixed(0)} MiB/s, ${cpuSecondsPerGiB(t, bytes).toFixed(2)} CPU s/GiB, ELU ${elu.toFixed(2)}, ${inFlight.toFixed(1)} in flight, per block ${reqs.join(' ')}`,
    )
    console.log(`  CPU by thread: ${formatThreadCpu(threads0, threadCpu())}`)
    console.log(`  ${formatMachineCpu(machine0, machine1, bytes)}`)
  }
  if (phases.has('drain')) await report('drain', () => bench.engine.drainAllUploads())
  else await bench.engine.drainAllUploads()
  if (phases.has('read')) {
    await bench.close()
    const workers = values.workers === undefined ? {} : { prefetchWorkers: Number(values.workers) }
    bench = await openTestEngine(benchEngine(dir, store, workers))
    await bench.engine.evict()
    const dest = new Uint8Array(BlockSize)
    await report('cold read', async () => {
      for (let b = 0; b < blocks; b++) await bench.engine.readAt('p', dest, b * BlockSize)
    })
  }
  if (phases.has('rawput')) {
    const bodies = Array.from({ length: 8 }, (_, i) => blockBytes(10_000 + i, seedBlock()))
    await report('raw put', () =>
      forEachBounded(
        Array.from({ length: blocks }, (_, i) => i),
        8,
        async (i) => {
          const Body = bodies[i % 8] as Uint8Array
          await client.send(new PutObjectCommand({ Bucket: target.bucket, Key: `raw/${i}`, Body }))
        },
      ),
    )
  }
  if (phases.has('raw')) {
    const keys: string[] = []
    for await (const k of store.listByPrefix('blocks/')) keys.push(k)
    await report('raw get', () =>
      forEachBounded(keys, 8, async (k) => {
        const o = await client.send(new GetObjectCommand({ Bucket: target.bucket, Key: k }))
        await o.Body?.transformToByteArray()
      }),
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
