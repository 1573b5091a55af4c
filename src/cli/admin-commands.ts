/**
 * The commands over the whole store: drain, gc, stats, health, evict. Like the payload
 * commands, each is checked before the target is opened.
 */
import { BlockStoreError } from '../core/errors.js'
import { MinGcGracePeriodMs } from '../core/gc.js'
import { formatDuration, formatSize, parseDuration } from '../core/units.js'
import { type Action, type CommandInput, payloadId, print, wholeNumber } from './command-io.js'
import { ExitCode } from './exit-codes.js'
import { UsageError } from './parse.js'
import { Progress } from './progress.js'
import { describeGc, describeStats } from './stats-print.js'
import type { GcRequest } from './target.js'

const drain: Action = async (run) => {
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
      `uploaded ${report.uploaded} blocks (${formatSize(report.bytesUploaded)}), deduplicated ${report.deduplicated}, failed ${report.failed.length}, ${report.durationMs.toFixed(0)} ms`,
      ...report.failed.map((f) => `  failed ${f.blockId}: ${f.code} ${f.message}`),
    ])
    return report.failed.length > 0 ? ExitCode.Partial : ExitCode.Ok
  } finally {
    clearInterval(timer)
  }
}

/**
 * Reads the gc options. A grace period under the floor is refused here with the engine's
 * own code, so the answer is the same with or without a server and nothing is opened.
 */
export function gcRequest(options: CommandInput['options']): GcRequest {
  const text = options.grace
  let grace: GcRequest['grace']
  if (typeof text === 'string') {
    const ms = parseDuration(text, '--grace')
    if (ms < MinGcGracePeriodMs) {
      throw new BlockStoreError(
        'BS_INVALID_CONFIG',
        `--grace ${text} is under the ${formatDuration(MinGcGracePeriodMs)} floor: a younger object may belong to an upload whose row is not committed yet`,
      )
    }
    grace = { ms, text }
  }
  const max = options['max-deletions']
  return {
    dryRun: options['dry-run'] === true,
    grace,
    prefix: typeof options.prefix === 'string' ? options.prefix : undefined,
    maxDeletions: typeof max === 'string' ? wholeNumber(max, '--max-deletions') : undefined,
  }
}

function gc(request: GcRequest): Action {
  return async (run) => {
    const progress = new Progress(run.io.stderr, request.dryRun ? 'gc (dry run)' : 'gc', {
      unit: 'objects',
    })
    let scanned = 0
    // Redrawn on a timer too: a server reports nothing until the end, the time still moves.
    const timer = setInterval(() => progress.update(scanned), 250)
    timer.unref()
    try {
      const report = await run.target.gc(request, (n) => {
        scanned = n
        progress.update(n)
      })
      progress.finish()
      print(run, report, () => describeGc(report))
      return report.errors > 0 ? ExitCode.Partial : ExitCode.Ok
    } finally {
      clearInterval(timer)
    }
  }
}

function evict(options: CommandInput['options']): Action {
  if (options['read-buffer-only'] === true && options['local-only'] === true) {
    throw new UsageError('--read-buffer-only and --local-only exclude each other', 'evict')
  }
  const only = typeof options.payload === 'string' ? payloadId(options.payload) : undefined
  return async (run) => {
    const r = await run.target.evict({
      readBuffer: options['local-only'] !== true,
      local: options['read-buffer-only'] !== true,
      ...(only === undefined ? {} : { payloadId: only }),
    })
    print(run, r, () => [
      `read buffer entries cleared  ${r.readBufferEntriesCleared}`,
      `local blocks evicted         ${r.localBlocksEvicted}`,
      `freed                        ${formatSize(r.bytesFreed)}`,
    ])
    return ExitCode.Ok
  }
}

/** Checks an admin command; the arity is checked by the parser. */
export function prepareAdmin(input: CommandInput): Action {
  switch (input.name) {
    case 'drain':
      return drain
    case 'gc':
      return gc(gcRequest(input.options))
    case 'stats':
      return async (run) => {
        const s = await run.target.stats()
        print(run, s, () => describeStats(s))
        return ExitCode.Ok
      }
    case 'health':
      return async (run) => {
        const h = await run.target.health()
        print(run, h, () => [`${h.status}${h.message === undefined ? '' : `: ${h.message}`}`])
        if (h.status === 'healthy') return ExitCode.Ok
        return h.status === 'degraded' ? ExitCode.Partial : ExitCode.Unavailable
      }
    case 'evict':
      return evict(input.options)
    default:
      throw new UsageError(`unknown command "${input.name}"`)
  }
}
