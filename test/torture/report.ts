/** Renders the torture run's figures as the Markdown of docs/reliability.md. */
import type { CrashFigures } from '../reliability/support/crash-campaign.js'
import type { HttpLoadFigures } from '../reliability/support/http-load-campaign.js'
import type { LoadFigures } from '../reliability/support/load-campaign.js'

/** One test file run by the torture runner. */
export interface SuiteRun {
  readonly file: string
  readonly ok: boolean
  readonly pass: number
  readonly fail: number
  readonly figures: Record<string, unknown>
  readonly durationMs: number
}

/** Everything a torture run measured. */
export interface TortureRun {
  readonly minutes: number
  readonly seed: number
  readonly startedAt: Date
  readonly crash: readonly CrashFigures[]
  readonly load: readonly LoadFigures[]
  readonly httpLoad: HttpLoadFigures
  readonly suites: readonly SuiteRun[]
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0
}

const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`

function httpLoadLine(h: HttpLoadFigures): string {
  const total = Object.values(h.requests).reduce((a, b) => a + b, 0)
  const kinds = Object.entries(h.requests)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ')
  return (
    `${h.clients} clients for ${(h.durationMs / 1000).toFixed(0)} s: ${total} requests (${kinds}), ` +
    `${mib(h.bytesVerified)} verified, ${h.errors.length} errors; server peak RSS ` +
    `${mib(h.serverPeakRssBytes)}; server event-loop delay p99 ${h.eventLoopDelayP99Ms.toFixed(1)} ms, ` +
    `max ${h.eventLoopDelayMaxMs.toFixed(1)} ms; server fds ${h.fdsBefore} after warm-up, ` +
    `${h.fdsAfter} after (${h.blockFdsAtPeak} pooled block files open at peak, ` +
    `${h.deletedFdsAtPeak} on deleted files).`
  )
}

function loadLine(l: LoadFigures): string {
  const c = l.copy
  return (
    `- ${l.target}: ${l.clients} clients for ${(l.durationMs / 1000).toFixed(0)} s: ${l.reads} verified reads, ` +
    `${l.writes} writes, ${l.truncates} truncates, ${l.deletes} deletes, ${c.copies} copies ` +
    `(${c.fresh} fresh, ${c.grows} growing, ${c.shrinks} shrinking, ${c.sameSize} same size, ` +
    `${c.dstWithHoles} onto holes; source blocks ${c.srcBlocksRemoteOnly} remote-only, ` +
    `${c.srcBlocksRemoteCached} cached, ${c.srcBlocksUnsynced} unsynced, ${c.srcBlocksDirty} dirty); ` +
    `${l.background.gcRuns} GC runs (${l.background.gcDeleted} objects deleted, ${l.background.gcRaced} raced), ` +
    `${l.background.blocksEvicted} blocks evicted; ${mib(l.bytesVerified)} verified during the run, ` +
    `${l.payloadsVerifiedCold} payloads / ${mib(l.bytesVerifiedCold)} verified cold after; ` +
    `${l.errorCount} errors; max RSS ${mib(l.maxRssBytes)}; event-loop delay p99 ` +
    `${l.eventLoopDelayP99Ms.toFixed(1)} ms, max ${l.eventLoopDelayMaxMs.toFixed(1)} ms; open fds ` +
    `${l.fdsBefore} before, ${l.fdsAfter} after.`
  )
}

/** The crash campaigns' table and its violations. */
function crashLines(crash: readonly CrashFigures[]): string[] {
  return [
    '## Crash consistency (SIGKILL at random moments, incl. uploads, eviction, GC, recovery)',
    '',
    '| target | rounds | kills during open | ops | flushes acked | replacements cut (checked old or new) | bytes verified | bytes lost | violations | recovery p50 | recovery p99 |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...crash.map(
      (c) =>
        `| ${c.target} | ${c.rounds} | ${c.killsDuringOpen} | ${c.opsAnnounced} | ${c.flushesAcked} | ${c.replacesCut} | ${mib(c.bytesVerified)} | ${c.bytesLost} | ${c.violations.length} | ${percentile(c.recoveryMs, 50).toFixed(0)} ms | ${percentile(c.recoveryMs, 99).toFixed(0)} ms |`,
    ),
    ...crash.flatMap((c) => c.violations.map((v) => `- ${c.target}: ${v}`)),
    '',
  ]
}

/** The report of a `--crash-only` run: the crash campaigns alone. */
export function renderCrashReport(
  r: Pick<TortureRun, 'minutes' | 'seed' | 'startedAt' | 'crash'>,
): string {
  return [
    '# Reliability report (crash campaigns only)',
    '',
    `Latest \`npm run torture -- --minutes ${r.minutes} --crash-only\` (seed ${r.seed}), started ${r.startedAt.toISOString()}.`,
    'Regenerate with the same command; a run exits non-zero when anything is lost.',
    '',
    ...crashLines(r.crash),
    `Anything lost: ${r.crash.reduce((n, c) => n + c.bytesLost, 0)} bytes.`,
    '',
  ].join('\n')
}

/** The report. */
export function renderReport(r: TortureRun): string {
  const lines = [
    '# Reliability report',
    '',
    `Latest \`npm run torture -- --minutes ${r.minutes}\` (seed ${r.seed}), started ${r.startedAt.toISOString()}.`,
    'Regenerate with the same command; a run exits non-zero when anything is lost or fails.',
    '',
    ...crashLines(r.crash),
    '## Load (in-process engine: copies, truncates, deletes under zero-grace GC and eviction)',
    '',
    ...r.load.flatMap((l) => [loadLine(l), ...l.errors.map((e) => `- ${e}`)]),
    '',
    '## Load over HTTP (spawned server, fs + fs + SQLite, bearer token)',
    '',
    httpLoadLine(r.httpLoad),
    ...r.httpLoad.errors.map((e) => `- ${e}`),
    '',
    '## Fault and bad-input campaigns',
    '',
    '| file | result | tests passed | failed | figures | duration |',
    '|---|---|---|---|---|---|',
    ...r.suites.map(
      (s) =>
        `| ${s.file} | ${s.ok ? 'ok' : 'FAILED'} | ${s.pass} | ${s.fail} | \`${JSON.stringify(s.figures)}\` | ${(s.durationMs / 1000).toFixed(0)} s |`,
    ),
    '',
    `Anything lost: ${r.crash.reduce((n, c) => n + c.bytesLost, 0)} bytes.`,
    '',
  ]
  return lines.join('\n')
}
