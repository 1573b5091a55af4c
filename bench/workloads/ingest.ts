/**
 * Ingest of a real-looking tree of files, the way a sync or backup tool feeds the engine:
 * each file streamed in with `writeAt` (1 MiB writes) then `flush`ed, several files in
 * flight, then every block drained to an fs remote. Measured side by side in the same run,
 * alternating, against `restic backup` of the same tree into a local repository and
 * `cp -r` + `sync`. The tree (generated, random bytes so nobody's compression flatters them)
 * holds sizes from 4 KiB to 64 MiB and a share of exact duplicates, which restic and we
 * deduplicate and `cp` does not.
 *
 * Figures: local-durable throughput (every flush returned), drained-to-remote throughput,
 * CPU seconds per GiB for each, and bytes stored. restic comes from Debian's `restic`
 * package; when it is missing the bench says so on one line and skips that baseline.
 */
import { execFile, spawnSync } from 'node:child_process'
import { randomFillSync } from 'node:crypto'
import { mkdir, open, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ingestWithEngine, type Run, storedBytes, type TreeFile } from '../engine/ingest-engine.js'
import {
  type BenchContext,
  type Comparison,
  median,
  mibPerSecond,
  type Workload,
} from '../harness.js'

const run = promisify(execFile)
const KiB = 1024
const MiB = 1024 * KiB
const GiB = 1024 * MiB

/** Deterministic pseudo-random numbers (mulberry32), so every run builds the same tree. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Sizes log-uniform between 4 KiB and 64 MiB, most files small as in a real home or project
 * tree; about one file in eight is an exact copy of an earlier one.
 */
async function buildTree(
  dir: string,
  files: number,
  seed: number,
  maxExp: number,
): Promise<TreeFile[]> {
  const next = rng(seed)
  const out: TreeFile[] = []
  const originals: string[] = []
  for (let i = 0; i < files; i++) {
    const sub = join(dir, `d${i % 23}`, `e${i % 7}`)
    await mkdir(sub, { recursive: true })
    const path = join(sub, `f${i}.bin`)
    const fh = await open(path, 'w')
    try {
      if (originals.length > 4 && next() < 0.125) {
        const src = originals[Math.floor(next() * originals.length)]!
        const data = await readFile(src)
        await fh.write(data)
        out.push({ path, size: data.length })
        continue
      }
      // Log-uniform: exponent 12 (4 KiB) to maxExp (26: 64 MiB), skewed small.
      const exp = 12 + (maxExp - 12) * next() ** 2.2
      const size = Math.max(4 * KiB, Math.round(2 ** exp))
      const chunk = Buffer.allocUnsafe(Math.min(size, 4 * MiB))
      for (let at = 0; at < size; at += chunk.length) {
        const n = Math.min(chunk.length, size - at)
        randomFillSync(chunk, 0, n)
        await fh.write(chunk, 0, n)
      }
      out.push({ path, size })
      originals.push(path)
    } finally {
      await fh.close()
    }
  }
  return out
}

/**
 * Runs a shell command and returns its wall seconds and its children's CPU seconds, read from
 * bash's `times` (user and system of waited-for children).
 */
async function timed(script: string, env: NodeJS.ProcessEnv = {}) {
  const t0 = performance.now()
  const { stdout } = await run('bash', ['-c', `${script} >/dev/null\ntimes`], {
    env: { ...process.env, ...env },
    maxBuffer: 16 * MiB,
  })
  const wallS = (performance.now() - t0) / 1000
  const last = stdout.trim().split('\n').at(-1) ?? ''
  const secs = [...last.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => +m[1]! * 60 + +m[2]!)
  return { wallS, cpuS: (secs[0] ?? 0) + (secs[1] ?? 0) }
}

/** `restic backup` into a fresh local repository; durable when restic exits (it syncs). */
async function restic(dir: string, root: string): Promise<Run> {
  const repo = join(dir, 'repo')
  const env = { RESTIC_PASSWORD: 'bench', RESTIC_CACHE_DIR: join(dir, 'cache') }
  await run('restic', ['init', '--repo', repo], { env: { ...process.env, ...env } })
  const t = await timed(`restic backup --quiet --repo '${repo}' '${root}'`, env)
  return {
    durableS: t.wallS,
    drainedS: t.wallS,
    cpuS: t.cpuS,
    storedBytes: await storedBytes(repo),
  }
}

/** `cp -r` then `sync`: the disk's own pace, no dedup. */
async function copy(dir: string, root: string): Promise<Run> {
  const t = await timed(`cp -r '${root}' '${join(dir, 'copy')}' && sync`)
  return {
    durableS: t.wallS,
    drainedS: t.wallS,
    cpuS: t.cpuS,
    storedBytes: await storedBytes(join(dir, 'copy')),
  }
}

const workload: Workload = {
  name: 'ingest',
  description:
    'mixed tree (4 KiB..64 MiB, duplicates) written + flushed + drained to an fs remote, vs restic backup and cp -r + sync',
  async run(ctx: BenchContext): Promise<Comparison[]> {
    const files = ctx.quick ? 200 : 2100
    const inFlight = 8
    // Files flushed together by the batch variant (flushMany), a directory's worth.
    const flushBatch = 64
    const root = join(ctx.scratchDir, 'tree')
    ctx.log(`ingest: generating ${files} files`)
    const tree = await buildTree(root, files, 20261203, ctx.quick ? 23 : 26)
    const total = tree.reduce((n, f) => n + f.size, 0)
    const gib = total / GiB
    const haveRestic = spawnSync('restic', ['version']).status === 0
    if (!haveRestic) {
      console.log(
        'ingest: restic is not installed (apt-get install restic): restic baseline SKIPPED',
      )
    }
    type Side = 'ours' | 'oursBatch' | 'restic' | 'cp'
    const runs: Record<Side, Run[]> = { ours: [], oursBatch: [], restic: [], cp: [] }
    const sides: Side[] = ['ours', 'oursBatch', ...(haveRestic ? ['restic' as const] : []), 'cp']
    // One warm-up pass of each side puts the tree in the page cache for everyone alike.
    const reps = Math.max(3, ctx.repetitions)
    for (let rep = -1; rep < reps; rep++) {
      for (const side of sides) {
        const dir = join(ctx.scratchDir, `${side}-${rep}`)
        await mkdir(dir, { recursive: true })
        const r =
          side === 'ours'
            ? await ingestWithEngine(dir, tree, root, inFlight, 0)
            : side === 'oursBatch'
              ? await ingestWithEngine(dir, tree, root, inFlight, flushBatch)
              : side === 'restic'
                ? await restic(dir, root)
                : await copy(dir, root)
        await rm(dir, { recursive: true, force: true })
        if (rep < 0) continue
        runs[side].push(r)
        ctx.log(
          `ingest ${side} #${rep + 1}: durable ${mibPerSecond(total, r.durableS * 1000).toFixed(0)} MiB/s, drained ${mibPerSecond(total, r.drainedS * 1000).toFixed(0)} MiB/s, ${(r.cpuS / gib).toFixed(2)} CPU s/GiB`,
        )
      }
    }
    const rate = (rs: Run[], key: 'durableS' | 'drainedS'): number | undefined =>
      rs.length === 0 ? undefined : median(rs.map((r) => mibPerSecond(total, r[key] * 1000)))
    const cpuPerGiB = (rs: Run[]): number | string =>
      rs.length === 0 ? 'skipped' : median(rs.map((r) => r.cpuS / gib))
    const stored = (rs: Run[]): number | string =>
      rs.length === 0 ? 'skipped' : median(rs.map((r) => r.storedBytes / MiB))
    const notes = {
      files,
      treeMiB: total / MiB,
      inFlight,
      oursCpuSPerGiB: cpuPerGiB(runs.ours),
      resticCpuSPerGiB: cpuPerGiB(runs.restic),
      cpCpuSPerGiB: cpuPerGiB(runs.cp),
    }
    return [
      {
        name: 'tree ingest, drained to fs remote',
        unit: 'MiB/s',
        higherIsBetter: true,
        value: rate(runs.ours, 'drainedS')!,
        baselineName: haveRestic ? 'restic backup (local repo)' : 'restic backup: SKIPPED',
        baseline: rate(runs.restic, 'drainedS'),
        goal: 2,
        notes,
      },
      {
        name: 'tree ingest, durable locally',
        unit: 'MiB/s',
        higherIsBetter: true,
        value: rate(runs.ours, 'durableS')!,
        baselineName: 'cp -r + sync',
        baseline: rate(runs.cp, 'durableS'),
        notes,
      },
      {
        name: `tree ingest, durable locally, flushMany every ${flushBatch} files`,
        unit: 'MiB/s',
        higherIsBetter: true,
        value: rate(runs.oursBatch, 'durableS')!,
        baselineName: 'ours, one flush per file',
        baseline: rate(runs.ours, 'durableS'),
        notes: { ...notes, oursBatchCpuSPerGiB: cpuPerGiB(runs.oursBatch) },
      },
      {
        name: 'stored bytes after ingest',
        unit: 'MiB',
        higherIsBetter: false,
        value: stored(runs.ours) as number,
        baselineName: haveRestic ? 'restic repository' : 'cp -r copy',
        baseline: (haveRestic ? stored(runs.restic) : stored(runs.cp)) as number,
        goal: 1,
        notes: { cpCopyMiB: stored(runs.cp) },
      },
    ]
  },
}

export default workload
