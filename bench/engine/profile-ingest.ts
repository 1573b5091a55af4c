/**
 * Profiling driver (not a workload): the ingest bench's tree fed to the engine once, one flush
 * per file, 8 files in flight, then drained to an fs remote, with every call into the
 * metadata store and the remote store timed. Prints per phase the wall time, CPU s/GiB, and
 * per method the calls, summed milliseconds and average calls in flight; for `node --cpu-prof`
 * and `strace -c -f`.
 *   node --import tsx bench/engine/profile-ingest.ts [--files 2100] [--dir /tmp/x] [--prof-dir D]
 * `BG='{}'` (JSON syncer options) lets uploads run in the background during the local phase
 * instead of only at the drain.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { MetadataStore } from '../../src/core/metadata-store.js'
import type { RemoteStore } from '../../src/core/remote-store.js'
import { openBlockStore } from '../../src/engine/index.js'
import { SqliteMetadataStore } from '../../src/meta/sqlite/index.js'
import { FsRemoteStore } from '../../src/remote/fs/fs-remote-store.js'
import { storedBytes, writeTree } from './ingest-engine.js'
import { buildTree } from './ingest-tree.js'
import { formatThreadCpu, threadCpu } from './measure.js'

const { values } = parseArgs({
  options: { files: { type: 'string' }, dir: { type: 'string' }, 'prof-dir': { type: 'string' } },
})
const files = Number(values.files ?? 200)
const MiB = 1024 * 1024

interface Tally {
  calls: number
  ms: number
  bytes: number
}
const tallies = new Map<string, Tally>()

/** Wraps every method of `target` so its calls are counted and timed under `prefix.method`. */
function timedProxy<T extends object>(target: T, prefix: string): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      const v = Reflect.get(t, prop, receiver)
      if (typeof v !== 'function' || typeof prop !== 'string') return v
      return (...args: unknown[]) => {
        const out = (v as (...a: unknown[]) => unknown).apply(t, args)
        if (!(out instanceof Promise)) return out
        const name = `${prefix}.${prop}`
        const t0 = performance.now()
        const size = args.find((a): a is Uint8Array => a instanceof Uint8Array)?.byteLength ?? 0
        const done = (): void => {
          const tally = tallies.get(name) ?? { calls: 0, ms: 0, bytes: 0 }
          tally.calls++
          tally.ms += performance.now() - t0
          tally.bytes += size
          tallies.set(name, tally)
        }
        return out.finally(done)
      }
    },
  })
}

/**
 * With `--prof-dir`, a main-thread CPU profile of each phase alone (`<phase>.cpuprofile`), so
 * a profile of the drain is not mixed with the tree's generation and the local phase.
 */
async function profiled<T>(phase: string, run: () => Promise<T>): Promise<T> {
  const out = values['prof-dir']
  if (out === undefined) return run()
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
  try {
    return await run()
  } finally {
    const { profile } = await session.post('Profiler.stop')
    await writeFile(join(out, `${phase}.cpuprofile`), JSON.stringify(profile))
    session.disconnect()
  }
}

let metaStore: { walSyncs?: number } = {}
let lastSyncs = 0
// Both set when the first phase starts (the tree's generation does not count).
let lastFaults = 0
let lastThreads = new Map<string, number>()

function report(phase: string, wallMs: number, cpu: NodeJS.CpuUsage, bytes: number): void {
  const gib = bytes / 1024 ** 3
  console.log(
    `${phase}: ${(wallMs / 1000).toFixed(2)} s, ${(bytes / MiB / (wallMs / 1000)).toFixed(0)} MiB/s, ${((cpu.user + cpu.system) / 1e6 / gib).toFixed(2)} CPU s/GiB (user ${(cpu.user / 1e6).toFixed(2)} s, sys ${(cpu.system / 1e6).toFixed(2)} s)`,
  )
  const syncs = metaStore.walSyncs ?? 0
  // Minor faults: fresh memory touched for the first time (costly on a VM that hands freed
  // pages back to the host).
  const faults = process.resourceUsage().minorPageFault
  console.log(`  sqlite WAL syncs: ${syncs - lastSyncs}, minor page faults: ${faults - lastFaults}`)
  lastSyncs = syncs
  lastFaults = faults
  const threads = threadCpu()
  console.log(`  CPU by thread: ${formatThreadCpu(lastThreads, threads)}`)
  lastThreads = threads
  for (const [name, t] of [...tallies].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(
      `  ${name.padEnd(36)} ${String(t.calls).padStart(6)} calls ${t.ms.toFixed(0).padStart(8)} ms  avg ${(t.ms / t.calls).toFixed(2)} ms  in flight ${(t.ms / wallMs).toFixed(2)}${t.bytes > 0 ? `  ${(t.bytes / MiB).toFixed(0)} MiB` : ''}`,
    )
  }
  tallies.clear()
}

const dir = values.dir ?? (await mkdtemp(join(tmpdir(), 'profile-ingest-')))
try {
  const root = join(dir, 'tree')
  const tree = await buildTree(root, files, 20261203)
  const total = tree.reduce((n, f) => n + f.size, 0)
  console.log(`${files} files, ${(total / MiB).toFixed(0)} MiB`)
  const work = join(dir, 'run')
  const metadata = await SqliteMetadataStore.open({ path: join(work, 'meta.db') })
  metaStore = metadata
  const remote = await FsRemoteStore.open({ root: join(work, 'remote') })
  const store = await openBlockStore({
    local: { kind: 'fs', dir: join(work, 'local'), maxDisk: 0 },
    remote: timedProxy<RemoteStore>(remote, 'remote'),
    metadata: timedProxy<MetadataStore>(metadata, 'meta'),
    syncer:
      process.env.BG === undefined ? { uploadIntervalMs: 3_600_000 } : JSON.parse(process.env.BG),
  })
  try {
    lastFaults = process.resourceUsage().minorPageFault
    lastThreads = threadCpu()
    let cpu0 = process.cpuUsage()
    let t0 = performance.now()
    await profiled('durable', () =>
      writeTree(store, root, tree, 8, (id) => store.flush(id).then(() => undefined)),
    )
    report('durable', performance.now() - t0, process.cpuUsage(cpu0), total)
    cpu0 = process.cpuUsage()
    t0 = performance.now()
    const drained = await profiled('drain', () => store.drainAllUploads())
    report('drain', performance.now() - t0, process.cpuUsage(cpu0), total)
    console.log(
      `uploaded ${drained.uploaded}, deduplicated ${drained.deduplicated}, failed ${drained.failed.length}; remote ${(await storedBytes(join(work, 'remote'))) / MiB} MiB`,
    )
  } finally {
    await store.close()
    // Opened here, so closed here: the engine leaves stores it was handed to their owner (an
    // open SQLite store kept the process alive once the run was over).
    await metadata.close()
    await remote.close()
  }
} finally {
  if (values.dir === undefined) await rm(dir, { recursive: true, force: true })
}
