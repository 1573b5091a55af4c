/** Help texts of the `ditto-blockstore` command, global and per command (from one table). */
import { SETTINGS } from '../app/config-schema.js'
import { COMMAND_SPECS, type CommandSpec, commandSpec } from './command-specs.js'

const EXIT_CODES = `Exit codes: 0 success, 1 error, 2 usage or configuration error, 3 payload not found,
  4 unavailable (server unreachable, store busy, remote down, unhealthy), 5 unauthorized,
  6 partly done (drain or gc failures, degraded health), 130 interrupted.`

const TARGET = `Works on the data directory directly (the engine runs in the CLI, with the settings
below; refused while a server holds it) or, with --url, against a running server (token
from DITTO_TOKEN; settings are then the server's own).`

/** The global help. */
export function globalHelp(): string {
  // Long synopses shorten to "<name> [options]": the command's own help has them in full.
  const short = (c: CommandSpec): string =>
    c.synopsis.length > 36 ? `${c.name} [options]` : c.synopsis
  const w = Math.max(...COMMAND_SPECS.map((c) => short(c).length))
  return `ditto-blockstore: block storage engine for virtual filesystems

Usage: ditto-blockstore <command> [options]

Commands:
${COMMAND_SPECS.map((c) => `  ${short(c).padEnd(w)}  ${c.summary}`).join('\n')}

Common options:
  --url URL       talk to a running server instead of opening the data directory (env DITTO_URL)
  --json          machine-readable output
  --config FILE   JSON config file (env DITTO_CONFIG)
  -h, --help      help; "ditto-blockstore <command> --help" for one command
  --version       print the version

Every command except serve, config, bench and help works on the data directory directly
(the engine runs in the CLI; refused while a server holds it) or, with --url, against a
running server (token from DITTO_TOKEN).

Settings (flag, environment variable; precedence flags > env > config file > defaults):
${settingsHelp()}

${EXIT_CODES}
`
}

function settingsHelp(dataDirOnly = false): string {
  const rows = SETTINGS.filter((s) => !dataDirOnly || s.serverOnly !== true).map(
    (s) => [`--${s.flag}${s.type === 'boolean' ? '' : ' V'}`, s.env, s.description] as const,
  )
  return columns(rows)
}

function columns(rows: readonly (readonly [string, string, string])[]): string {
  const w0 = Math.max(...rows.map((r) => r[0].length))
  const w1 = Math.max(...rows.map((r) => r[1].length))
  return rows.map(([a, b, c]) => `  ${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`.trimEnd()).join('\n')
}

function optionsHelp(c: CommandSpec): string {
  const rows: [string, string][] = Object.entries(c.options).map(([name, o]) => [
    `--${name}${o.value === undefined ? '' : ` ${o.value}`}`,
    o.description,
  ])
  if (c.kind === 'target') rows.push(['--url URL', 'a running server (env DITTO_URL)'])
  if (c.json) rows.push(['--json', 'machine-readable output'])
  if (c.kind !== 'plain') rows.push(['--config FILE', 'JSON config file (env DITTO_CONFIG)'])
  rows.push(['-h, --help', 'this help'])
  const w = Math.max(...rows.map((r) => r[0].length))
  return rows.map(([a, b]) => `  ${a.padEnd(w)}  ${b}`).join('\n')
}

/** One command's help, or `undefined` for an unknown command. */
export function commandHelp(name: string): string | undefined {
  const c = commandSpec(name)
  if (c === undefined) return undefined
  const extra = c.kind === 'target' ? `${TARGET}\n\nSettings for the data directory:\n` : ''
  return `Usage: ditto-blockstore ${c.synopsis}

${c.summary}.
${(c.details ?? []).map((d) => `\n${d}`).join('')}
Options:
${optionsHelp(c)}
${c.kind === 'plain' ? '' : `\n${extra}${c.kind === 'target' ? '' : 'Settings:\n'}${settingsHelp(c.kind === 'target')}\n`}
${EXIT_CODES}
`
}
