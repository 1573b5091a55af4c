/**
 * The commands that act on a target (a data directory or a server): argument checks, the
 * call, and output for people or, with `--json`, for scripts.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import type { Readable, Writable } from 'node:stream'
import { formatBytes } from '../core/defaults.js'
import { BlockStoreError } from '../core/errors.js'
import type { PayloadRecord } from '../core/metadata-store.js'
import { assertPayloadId } from '../core/payload-id.js'
import { ExitCode } from './exit-codes.js'
import { Progress, type ProgressStream } from './progress.js'
import type { CliTarget } from './target.js'

/** Streams and output of one CLI run. */
export interface CliIO {
  readonly stdin: Readable
  readonly stdout: Writable & { readonly isTTY?: boolean | undefined }
  readonly stderr: ProgressStream
  /** Prints one line on standard output. */
  out(line: string): void
}

/** What a command is run with. */
export interface CommandRun {
  readonly target: CliTarget
  readonly args: readonly string[]
  readonly values: Readonly<Record<string, string | boolean | undefined>>
  readonly json: boolean
  readonly io: CliIO
}

const usage = (message: string): BlockStoreError =>
  new BlockStoreError('BS_INVALID_ARGUMENT', message)

function arity(run: CommandRun, min: number, max: number, synopsis: string): void {
  if (run.args.length < min || run.args.length > max)
    throw usage(`usage: ditto-blockstore ${synopsis}`)
}

function id(text: string | undefined): string {
  assertPayloadId(text)
  return text
}

function size(text: string | undefined, what: string): number {
  const n = /^\d+$/.test(text ?? '') ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(n))
    throw new BlockStoreError('BS_INVALID_SIZE', `${what} must be an integer >= 0`)
  return n
}

function print(run: CommandRun, value: unknown, human: () => string[]): void {
  if (run.json) run.io.out(JSON.stringify(value, null, 2))
  else for (const line of human()) run.io.out(line)
}

async function put(run: CommandRun): Promise<number> {
  arity(run, 2, 2, 'put <file|-> <id>')
  const [source, target] = [run.args[0]!, id(run.args[1])]
  const fromStdin = source === '-'
  const total = fromStdin ? undefined : (await stat(source)).size
  const progress = new Progress(run.io.stderr, `put ${target}`, { total })
  const input = fromStdin ? run.io.stdin : createReadStream(source)
  const result = await run.target.put(target, input, (n) => progress.update(n))
  progress.finish()
  print(run, result, () => [`${result.id}: ${result.size} bytes, finalized: ${result.finalized}`])
  return ExitCode.Ok
}

async function get(run: CommandRun): Promise<number> {
  arity(run, 1, 2, 'get <id> [file|-]')
  const source = id(run.args[0])
  const dest = run.args[1] ?? '-'
  const toStdout = dest === '-'
  // A bar on the terminal that also shows the data would garble it.
  const progress = new Progress(
    toStdout && run.io.stdout.isTTY === true ? ({} as ProgressStream) : run.io.stderr,
    `get ${source}`,
  )
  const sink = toStdout ? run.io.stdout : createWriteStream(dest)
  try {
    await run.target.get(
      source,
      sink,
      (n) => progress.setTotal(n),
      (n) => progress.update(n),
    )
  } catch (err) {
    // Never leave a partial file that looks complete.
    if (!toStdout) await rm(dest, { force: true })
    throw err
  }
  progress.finish()
  return ExitCode.Ok
}

async function ls(run: CommandRun): Promise<number> {
  arity(run, 0, 1, 'ls [prefix]')
  const limit =
    run.values.limit === undefined
      ? Number.POSITIVE_INFINITY
      : size(String(run.values.limit), '--limit')
  const items: PayloadRecord[] = []
  let cursor: string | undefined
  do {
    const page = await run.target.list(
      run.args[0],
      cursor,
      Math.min(1000, Math.max(1, limit - items.length)),
    )
    items.push(...page.items)
    cursor = page.nextCursor
  } while (cursor !== undefined && items.length < limit)
  print(run, items, () =>
    items.map(
      (r) => `${String(r.size).padStart(14)}  ${new Date(r.modifiedAt).toISOString()}  ${r.id}`,
    ),
  )
  return ExitCode.Ok
}

async function statCommand(run: CommandRun): Promise<number> {
  arity(run, 1, 1, 'stat <id>')
  const rec = await run.target.stat(id(run.args[0]))
  const when = (ms: number): string => (Number.isFinite(ms) ? new Date(ms).toISOString() : '-')
  print(run, rec, () => [
    `id        ${rec.id}`,
    `size      ${rec.size} (${formatBytes(rec.size)})`,
    `created   ${when(rec.createdAt)}`,
    `modified  ${when(rec.modifiedAt)}`,
  ])
  return ExitCode.Ok
}

async function simple(run: CommandRun, name: string): Promise<number> {
  switch (name) {
    case 'rm': {
      arity(run, 1, 1, 'rm <id>')
      const target = id(run.args[0])
      await run.target.remove(target)
      print(run, { id: target, deleted: true }, () => [])
      return ExitCode.Ok
    }
    case 'truncate': {
      arity(run, 2, 2, 'truncate <id> <size>')
      const [target, n] = [id(run.args[0]), size(run.args[1], 'size')]
      await run.target.truncate(target, n)
      print(run, { id: target, size: n }, () => [`${target}: ${n} bytes`])
      return ExitCode.Ok
    }
    case 'cp': {
      arity(run, 2, 2, 'cp <src> <dst>')
      const [src, dst] = [id(run.args[0]), id(run.args[1])]
      const blocksCopied = await run.target.copy(src, dst)
      print(run, { from: src, to: dst, blocksCopied }, () => [
        `${src} -> ${dst}: ${blocksCopied} blocks`,
      ])
      return ExitCode.Ok
    }
    case 'flush': {
      arity(run, 1, 1, 'flush <id>')
      const target = id(run.args[0])
      const r = await run.target.flush(target)
      print(run, { id: target, ...r }, () => [`${target}: finalized: ${r.finalized}`])
      return ExitCode.Ok
    }
    default:
      throw usage(`unknown command ${name}`)
  }
}

function lines(value: object): string[] {
  return Object.entries(value).map(
    ([k, v]) => `${k.padEnd(26)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`,
  )
}

async function drain(run: CommandRun): Promise<number> {
  arity(run, 0, 0, 'drain')
  const before = await run.target.stats()
  const pending = before.blocksLocal
  const progress = new Progress(run.io.stderr, 'drain', { unit: 'blocks', total: pending })
  // The engine reports no per-block events: the bar follows the count of blocks still local.
  const timer = setInterval(() => {
    run.target.stats().then(
      (s) => progress.update(Math.max(0, pending - s.blocksLocal)),
      () => undefined,
    )
  }, 250)
  timer.unref()
  try {
    const report = await run.target.drain()
    progress.update(pending)
    progress.finish()
    print(run, report, () => [
      `uploaded ${report.uploaded} blocks (${formatBytes(report.bytesUploaded)}), deduplicated ${report.deduplicated}, failed ${report.failed.length}, ${report.durationMs.toFixed(0)} ms`,
      ...report.failed.map((f) => `  failed ${f.blockId}: ${f.code} ${f.message}`),
    ])
    return report.failed.length > 0 ? ExitCode.Partial : ExitCode.Ok
  } finally {
    clearInterval(timer)
  }
}

async function admin(run: CommandRun, name: string): Promise<number> {
  arity(run, 0, 0, name)
  switch (name) {
    case 'gc': {
      const progress = new Progress(run.io.stderr, 'gc', { unit: 'blocks' })
      const timer = setInterval(() => progress.update(0), 250)
      timer.unref()
      try {
        const report = await run.target.gc(run.values['dry-run'] === true)
        progress.finish()
        print(run, report, () => lines(report as object))
      } finally {
        clearInterval(timer)
      }
      return ExitCode.Ok
    }
    case 'stats': {
      const s = await run.target.stats()
      print(run, s, () => lines(s))
      return ExitCode.Ok
    }
    case 'health': {
      const h = await run.target.health()
      print(run, h, () => [`${h.status}${h.message === undefined ? '' : `: ${h.message}`}`])
      if (h.status === 'healthy') return ExitCode.Ok
      return h.status === 'degraded' ? ExitCode.Partial : ExitCode.Unavailable
    }
    case 'evict': {
      const payloadId = typeof run.values.payload === 'string' ? id(run.values.payload) : undefined
      const r = await run.target.evict({
        readBuffer: run.values['local-only'] !== true,
        local: run.values['read-buffer-only'] !== true,
        ...(payloadId === undefined ? {} : { payloadId }),
      })
      print(run, r, () => lines(r))
      return ExitCode.Ok
    }
    default:
      throw usage(`unknown command ${name}`)
  }
}

/** Names of the commands that need a target. */
export const TARGET_COMMANDS = [
  'put',
  'get',
  'ls',
  'stat',
  'rm',
  'truncate',
  'cp',
  'flush',
  'drain',
  'gc',
  'stats',
  'health',
  'evict',
] as const

/** Runs a target command; returns the exit code. */
export async function runTargetCommand(name: string, run: CommandRun): Promise<number> {
  switch (name) {
    case 'put':
      return put(run)
    case 'get':
      return get(run)
    case 'ls':
      return ls(run)
    case 'stat':
      return statCommand(run)
    case 'drain':
      return drain(run)
    case 'gc':
    case 'stats':
    case 'health':
    case 'evict':
      return admin(run, name)
    default:
      return simple(run, name)
  }
}
