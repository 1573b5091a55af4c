/** Help texts of the `ditto-blockstore` command, global and per command. */
import { SETTINGS } from '../server/config-schema.js'

/** One command's help entry. */
export interface CommandHelp {
  readonly name: string
  readonly synopsis: string
  readonly summary: string
  /** Extra lines (options, notes). */
  readonly details?: readonly string[]
}

/** Every command, in help order. */
export const COMMANDS: readonly CommandHelp[] = [
  {
    name: 'serve',
    synopsis: 'serve [settings]',
    summary: 'start the HTTP server (default 127.0.0.1:7474, data in ./data)',
    details: [
      'SIGINT/SIGTERM shut down safely (flush, drain within --shutdown-timeout); a second signal exits at once.',
    ],
  },
  {
    name: 'put',
    synopsis: 'put <file|-> <id>',
    summary: 'replace payload <id> with a file or standard input, then flush',
  },
  {
    name: 'get',
    synopsis: 'get <id> [file|-]',
    summary: 'write payload <id> to a file or standard output',
  },
  {
    name: 'ls',
    synopsis: 'ls [prefix] [--limit N]',
    summary: 'list payloads (size, modification time, ID), optionally by prefix',
  },
  { name: 'stat', synopsis: 'stat <id>', summary: "print a payload's size and times" },
  { name: 'rm', synopsis: 'rm <id>', summary: 'delete a payload' },
  {
    name: 'truncate',
    synopsis: 'truncate <id> <size>',
    summary: 'set the size of a payload (creating it), then flush',
  },
  {
    name: 'cp',
    synopsis: 'cp <src> <dst>',
    summary: 'copy a payload (remote blocks shared by reference), then flush',
  },
  {
    name: 'flush',
    synopsis: 'flush <id>',
    summary: 'make a payload durable; prints whether it is finalized (all remote)',
  },
  {
    name: 'drain',
    synopsis: 'drain',
    summary: 'upload every flushed block now',
    details: ['Exit code 6 when some blocks failed.'],
  },
  {
    name: 'gc',
    synopsis: 'gc [--dry-run]',
    summary: 'collect garbage in the remote store (when the engine provides it)',
  },
  { name: 'stats', synopsis: 'stats', summary: 'print engine statistics' },
  {
    name: 'health',
    synopsis: 'health',
    summary: 'print the health report',
    details: ['Exit code 0 healthy, 6 degraded, 4 unhealthy.'],
  },
  {
    name: 'evict',
    synopsis: 'evict [--read-buffer-only|--local-only] [--payload ID]',
    summary: 'free the read buffer and local copies of blocks that are safely remote',
  },
  {
    name: 'config',
    synopsis: 'config [settings]',
    summary: 'print the effective configuration with deduced defaults and floors hit',
  },
  {
    name: 'bench',
    synopsis: 'bench [workload...] [--quick]',
    summary: 'run the benchmarks (from a source checkout)',
  },
  { name: 'help', synopsis: 'help [command]', summary: 'print help' },
]

const EXIT_CODES = `Exit codes: 0 success, 1 error, 2 usage or configuration error, 3 payload not found,
  4 unavailable (server unreachable, store busy, remote down, unhealthy), 5 unauthorized,
  6 partly done (drain failures, degraded health), 130 interrupted.`

const TARGET = `Every command except serve, config and bench works on the data directory directly (the
engine runs in the CLI; refused while a server holds it) or, with --url, against a running
server (token from DITTO_TOKEN).`

/** The global help. */
export function globalHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.synopsis.length))
  return `ditto-blockstore: block storage engine for virtual filesystems

Usage: ditto-blockstore <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.synopsis.padEnd(w)}  ${c.summary}`).join('\n')}

Common options:
  --url URL       talk to a running server instead of opening the data directory (env DITTO_URL)
  --json          machine-readable output
  --config FILE   JSON config file (env DITTO_CONFIG)
  -h, --help      help; "ditto-blockstore <command> --help" for one command

${TARGET}

Settings (flag, environment variable; precedence flags > env > config file > defaults):
${settingsHelp()}

${EXIT_CODES}
`
}

function settingsHelp(): string {
  const rows = SETTINGS.map(
    (s) => [`--${s.flag}${s.type === 'boolean' ? '' : ' V'}`, s.env, s.description] as const,
  )
  const w0 = Math.max(...rows.map((r) => r[0].length))
  const w1 = Math.max(...rows.map((r) => r[1].length))
  return rows.map(([f, e, d]) => `  ${f.padEnd(w0)}  ${e.padEnd(w1)}  ${d}`).join('\n')
}

/** One command's help, or `undefined` for an unknown command. */
export function commandHelp(name: string): string | undefined {
  const c = COMMANDS.find((x) => x.name === name)
  if (c === undefined) return undefined
  return `Usage: ditto-blockstore ${c.synopsis} [--url URL] [--json]

${c.summary}.
${(c.details ?? []).map((d) => `\n${d}`).join('')}
${name === 'serve' || name === 'config' ? `\nSettings:\n${settingsHelp()}\n` : `\n${TARGET}\n`}
${EXIT_CODES}
`
}
