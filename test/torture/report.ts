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
  readonly load: LoadFigures
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

/** The report. */
export function renderReport(r: TortureRun): string {
  const lines = [
    '# Reliability report',
    '',
    `Latest \`npm run torture -- --minutes ${r.minutes}\` (seed ${r.seed}), started ${r.startedAt.toISOString()}.`,
    'Regenerate with the same command; a run exits non-zero when anything is lost or fails.',
    '',
    '## Crash consistency (SIGKILL at random moments, incl. uploads, eviction, GC, recovery)',
    '',
    '| target | rounds | kills during open | ops | flushes acked | bytes verified | bytes lost | violations | recovery p50 | recovery p99 |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...r.crash.map(
      (c) =>
        `| ${c.target} | ${c.rounds} | ${c.killsDuringOpen} | ${c.opsAnnounced} | ${c.flushesAcked} | ${mib(c.bytesVerified)} | ${c.bytesLost} | ${c.violations.length} | ${percentile(c.recoveryMs, 50).toFixed(0)} ms | ${percentile(c.recoveryMs, 99).toFixed(0)} ms |`,
    ),
    ...r.crash.flatMap((c) => c.violations.map((v) => `- ${c.target}: ${v}`)),
    '',
    '## Load (in-process engine, fs + fs + SQLite)',
    '',
    `${r.load.clients} clients for ${(r.load.durationMs / 1000).toFixed(0)} s: ${r.load.reads} verified reads, ${r.load.writes} writes, ${mib(r.load.bytesVerified)} verified, ${r.load.errors.length} errors; max RSS ${mib(r.load.maxRssBytes)}; event-loop delay p99 ${r.load.eventLoopDelayP99Ms.toFixed(1)} ms, max ${r.load.eventLoopDelayMaxMs.toFixed(1)} ms; open fds ${r.load.fdsBefore} before, ${r.load.fdsAfter} after.`,
    ...r.load.errors.map((e) => `- ${e}`),
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
