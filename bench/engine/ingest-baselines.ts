/**
 * Baselines of the ingest bench, run as shell commands on the same tree: `restic backup` into
 * a local repository, `cp -r` + `sync`, and the I/O floor of any design that keeps every byte
 * both in a local tier and in a directory remote (two copies + `sync`, optionally with a
 * SHA-256 of every byte on another core).
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type Run, storedBytes } from './ingest-engine.js'

const run = promisify(execFile)

/**
 * Runs a shell script and returns its wall seconds and its children's CPU seconds, read from
 * bash's `times` (user and system of waited-for children).
 */
async function timed(script: string, env: NodeJS.ProcessEnv = {}) {
  const t0 = performance.now()
  const { stdout } = await run('bash', ['-c', `${script} >/dev/null\ntimes`], {
    env: { ...process.env, ...env },
    maxBuffer: 16 * 1024 * 1024,
  })
  const wallS = (performance.now() - t0) / 1000
  const last = stdout.trim().split('\n').at(-1) ?? ''
  const secs = [...last.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => +m[1]! * 60 + +m[2]!)
  return { wallS, cpuS: (secs[0] ?? 0) + (secs[1] ?? 0) }
}

/** `restic backup` into a fresh local repository; durable when restic exits (it syncs). */
export async function restic(dir: string, root: string): Promise<Run> {
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

/** `cp -r` then `sync`: the disk's own pace for one copy, no dedup. */
export async function copy(dir: string, root: string): Promise<Run> {
  const t = await timed(`cp -r '${root}' '${join(dir, 'copy')}' && sync`)
  const storedB = await storedBytes(join(dir, 'copy'))
  return { durableS: t.wallS, drainedS: t.wallS, cpuS: t.cpuS, storedBytes: storedB }
}

/**
 * The least I/O a design storing every byte locally and again in a directory remote must do:
 * the tree copied into a "local" directory, that copy copied again into a "remote" one, one
 * `sync` at the end (fewer syncs than any per-file durability). With `hash`, a SHA-256 of
 * every byte runs meanwhile on another core, as content addressing needs. Stored bytes are
 * the "remote" copy's, without dedup.
 */
export async function floor(dir: string, root: string, hash: boolean): Promise<Run> {
  const local = join(dir, 'local')
  const remote = join(dir, 'remote')
  const copies = `cp -r '${root}' '${local}' && cp -r '${local}' '${remote}'`
  const script = hash
    ? `{ find '${root}' -type f -print0 | xargs -0 sha256sum >/dev/null; } & ${copies} && wait && sync`
    : `${copies} && sync`
  const t = await timed(script)
  return {
    durableS: t.wallS,
    drainedS: t.wallS,
    cpuS: t.cpuS,
    storedBytes: await storedBytes(remote),
  }
}
