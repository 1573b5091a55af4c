/**
 * The crash campaign: rounds of (spawn the driver, SIGKILL it at a random moment, reopen the
 * engine in this process, verify every payload against the model, flush the verified state).
 * Some kills land while the driver is still opening, i.e. during crash recovery itself.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { MetadataConfig, RemoteConfig } from '../../../src/engine/options.js'
import { openTestEngine, type TestEngineOptions } from '../../support/engine-fixture.js'
import type { DriverConfig } from './crash-driver.js'
import { CrashModel, type CrashOp } from './crash-model.js'
import { Rng } from './rng.js'

const here = dirname(fileURLToPath(import.meta.url))

/** Where a campaign keeps its engine (the local dir is created under `dir`). */
export interface CrashTarget {
  readonly name: string
  readonly dir: string
  readonly remote: RemoteConfig
  readonly metadata: MetadataConfig
  /** Local disk cap (small, so eviction runs). */
  readonly maxDisk: number
}

/**
 * The engine on `target`, every part given by config (so the driver gets it as JSON): local
 * store in `<dir>/local` under the small disk cap.
 */
export function crashEngine(target: CrashTarget): TestEngineOptions {
  return {
    dir: target.dir,
    local: { kind: 'fs', open: 'config', maxDisk: target.maxDisk },
    remote: { config: target.remote },
    metadata: { config: target.metadata },
  }
}

/** Figures of a campaign. */
export interface CrashFigures {
  readonly target: string
  rounds: number
  killsDuringOpen: number
  opsAnnounced: number
  flushesAcked: number
  bytesVerified: number
  bytesLost: number
  /** Kills that cut a whole-payload replacement (each checked: entirely old or entirely new). */
  replacesCut: number
  recoveryMs: number[]
  violations: string[]
}

/** Runs rounds until `rounds` are done or `deadline` (ms since epoch) passes. */
export async function runCrashCampaign(
  target: CrashTarget,
  limits: {
    rounds?: number
    deadline?: number
    seed: number
    maxKillMs?: number
    /**
     * Keep going past `rounds` (up to five times as many) until this many flushes were
     * acknowledged: a short campaign whose kills all land early would otherwise prove nothing.
     */
    minAcks?: number
  },
): Promise<CrashFigures> {
  const rng = new Rng(limits.seed)
  const payloads = ['p0', 'p1', 'p2', 'p3', 'dir/p4', 'p5']
  const model = new CrashModel(payloads)
  const f: CrashFigures = {
    target: target.name,
    rounds: 0,
    killsDuringOpen: 0,
    opsAnnounced: 0,
    flushesAcked: 0,
    bytesVerified: 0,
    bytesLost: 0,
    replacesCut: 0,
    recoveryMs: [],
    violations: [],
  }
  // The verifying engine: no read buffer, the engine's own syncer defaults.
  const open = () => openTestEngine({ ...crashEngine(target), readBufferBytes: 0, syncer: {} })
  const rounds = limits.rounds ?? Number.POSITIVE_INFINITY
  const enough = (): boolean =>
    f.rounds >= rounds && (model.acksSeen >= (limits.minAcks ?? 0) || f.rounds >= rounds * 5)
  while (!enough()) {
    if (limits.deadline !== undefined && Date.now() >= limits.deadline) break
    const state: Record<string, number> = {}
    for (const p of payloads) {
      const c = model.current(p)
      state[p] = c.exists ? c.size : -1
    }
    const config: DriverConfig = {
      engine: crashEngine(target),
      state,
      tagBase: (f.rounds + 1) * 1_000_000,
      seed: rng.int(2 ** 31),
    }
    // One round in ten is killed while the driver opens (recovery); the rest mid-workload.
    const duringOpen = rng.next() < 0.1
    const delay = duringOpen ? rng.int(60) : 50 + rng.int(limits.maxKillMs ?? 1500)
    const outcome = await driveAndKill(config, model, duringOpen, delay)
    if (outcome.error !== undefined) {
      f.violations.push(`round ${f.rounds} (seed ${config.seed}): ${outcome.error}`)
      break
    }
    if (!outcome.opened) f.killsDuringOpen++
    const t0 = performance.now()
    const e = await open()
    const store = e.engine
    f.recoveryMs.push(performance.now() - t0)
    try {
      const verdict = await model.verify(store)
      f.bytesVerified += verdict.bytesVerified
      f.bytesLost += verdict.bytesLost
      f.replacesCut += verdict.replacesCut
      for (const v of verdict.violations)
        f.violations.push(`round ${f.rounds} (seed ${config.seed}): ${v}`)
      for (const p of payloads) if (await store.exists(p)) await store.flush(p)
    } finally {
      await e.close()
    }
    f.rounds++
    if (f.violations.length > 0) break
  }
  f.opsAnnounced = model.opsSeen
  f.flushesAcked = model.acksSeen
  return f
}

interface RoundOutcome {
  opened: boolean
  error?: string
}

/** Runs the driver, feeding its announcements to the model, and kills it after `delay` ms. */
async function driveAndKill(
  config: DriverConfig,
  model: CrashModel,
  killOnStart: boolean,
  delay: number,
): Promise<RoundOutcome> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'crash-driver.ts'), JSON.stringify(config)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stderr = ''
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000)
  })
  const outcome: RoundOutcome = { opened: false }
  let timer: NodeJS.Timeout | undefined
  const kill = (): void => {
    child.kill('SIGKILL')
  }
  const lines = createInterface({ input: child.stdout as NonNullable<ChildProcess['stdout']> })
  const closed = new Promise<void>((resolve) => lines.once('close', resolve))
  lines.on('line', (line) => {
    const msg = JSON.parse(line) as
      | CrashOp
      | { opening: true }
      | { opened: number }
      | { ack: string }
    // Killing "during open" counts from the start of openBlockStore (recovery runs there).
    if ('opening' in msg) {
      if (killOnStart) timer = setTimeout(kill, delay)
    } else if ('opened' in msg) {
      outcome.opened = true
      if (!killOnStart) timer = setTimeout(kill, delay)
    } else if ('ack' in msg) model.ack(msg.ack)
    else model.apply(msg)
  })
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (c, s) => resolve([c, s])),
  )
  clearTimeout(timer)
  // Lines already in the pipe still count: wait for the reader to drain.
  await closed
  if (signal !== 'SIGKILL')
    outcome.error = `driver exited on its own (${code ?? signal}): ${stderr}`
  return outcome
}
