/**
 * The table of commands: what each one is for, its positional arguments and the options it
 * takes. Parsing, per-command validation and help all read this one table, so a flag shown
 * in the help is exactly a flag the command accepts, and any other flag is refused.
 */

/** An option a command takes (besides the settings and the common ones). */
export interface OptionSpec {
  readonly type: 'string' | 'boolean'
  readonly short?: string
  /** Value placeholder in help (`N`, `ID`, `DURATION`). */
  readonly value?: string
  readonly description: string
}

/**
 * What a command works on: `target` commands act on a data directory or a server (`--url`);
 * `settings` commands read the configuration only; `plain` ones take neither.
 */
export type CommandKind = 'target' | 'settings' | 'plain'

/** One command. */
export interface CommandSpec {
  readonly name: string
  readonly synopsis: string
  readonly summary: string
  readonly kind: CommandKind
  /** Fewest and most positional arguments (`Infinity`: any number). */
  readonly min: number
  readonly max: number
  /** Options of this command alone. */
  readonly options: Readonly<Record<string, OptionSpec>>
  /** Whether `--json` applies. */
  readonly json: boolean
  /** Extra help lines. */
  readonly details?: readonly string[]
}

const none: Readonly<Record<string, OptionSpec>> = {}

const target = (
  name: string,
  synopsis: string,
  summary: string,
  arity: [number, number],
  options: Readonly<Record<string, OptionSpec>> = none,
  details?: readonly string[],
): CommandSpec => ({
  name,
  synopsis,
  summary,
  kind: 'target',
  min: arity[0],
  max: arity[1],
  options,
  json: true,
  ...(details === undefined ? {} : { details }),
})

/** Every command, in help order. */
export const COMMAND_SPECS: readonly CommandSpec[] = [
  {
    name: 'serve',
    synopsis: 'serve [settings]',
    summary: 'start the HTTP server (default 127.0.0.1:7474, data in ./data)',
    kind: 'settings',
    min: 0,
    max: 0,
    options: none,
    json: false,
    details: [
      'SIGINT/SIGTERM shut down safely (flush, drain within --shutdown-timeout); a second signal exits at once.',
    ],
  },
  target(
    'put',
    'put <file|-> <id>',
    'replace payload <id> with a file or standard input, then flush',
    [2, 2],
  ),
  target('get', 'get <id> [file|-]', 'write payload <id> to a file or standard output', [1, 2]),
  target(
    'ls',
    'ls [prefix] [--limit N]',
    'list payloads (size, modification time, ID), optionally by prefix',
    [0, 1],
    { limit: { type: 'string', value: 'N', description: 'print at most N payloads' } },
  ),
  target('stat', 'stat <id>', "print a payload's size and times", [1, 1]),
  target('rm', 'rm <id>', 'delete a payload', [1, 1]),
  target(
    'truncate',
    'truncate <id> <size>',
    'set the size of a payload (creating it), then flush',
    [2, 2],
  ),
  target(
    'cp',
    'cp <src> <dst>',
    'copy a payload (remote blocks shared by reference), then flush',
    [2, 2],
  ),
  target(
    'flush',
    'flush <id>... | flush --all',
    'make payloads durable; prints whether each is finalized (all remote)',
    [0, Number.POSITIVE_INFINITY],
    {
      all: {
        type: 'boolean',
        description: 'every payload with unflushed changes (useful with --url: the server knows)',
      },
    },
    [
      'Several IDs (or --all) are flushed together: one line per payload, exit code 6 when some failed.',
    ],
  ),
  target('drain', 'drain', 'upload every flushed block now', [0, 0], none, [
    'Exit code 6 when some blocks failed.',
  ]),
  target(
    'gc',
    'gc [--dry-run] [--grace DURATION] [--prefix P] [--max-deletions N]',
    'delete remote objects no payload references any more (needs a remote store)',
    [0, 0],
    {
      'dry-run': { type: 'boolean', description: 'count what would be deleted, delete nothing' },
      grace: {
        type: 'string',
        value: 'DURATION',
        description: 'keep objects younger than this (default 1h, at least 5m; e.g. 90m, 2h)',
      },
      prefix: {
        type: 'string',
        value: 'P',
        description: 'only remote objects whose key starts with P',
      },
      'max-deletions': {
        type: 'string',
        value: 'N',
        description: 'stop after N deletions (0: no limit)',
      },
    },
  ),
  target('stats', 'stats', 'print engine statistics (--json: raw figures)', [0, 0]),
  target('health', 'health', 'print the health report', [0, 0], none, [
    'Exit code 0 healthy, 6 degraded, 4 unhealthy.',
  ]),
  target(
    'evict',
    'evict [--read-buffer-only|--local-only] [--payload ID]',
    'free the read buffer and local copies of blocks that are safely remote',
    [0, 0],
    {
      'read-buffer-only': { type: 'boolean', description: 'empty the read buffer only' },
      'local-only': { type: 'boolean', description: 'evict local block copies only' },
      payload: { type: 'string', value: 'ID', description: 'only the blocks of payload ID' },
    },
  ),
  {
    name: 'config',
    synopsis: 'config [settings]',
    summary: 'print the effective configuration: each value and where it came from',
    kind: 'settings',
    min: 0,
    max: 0,
    options: none,
    json: true,
  },
  {
    name: 'bench',
    synopsis: 'bench [workload...] [--quick] [--repetitions N]',
    summary: 'run the benchmarks (from a source checkout)',
    kind: 'plain',
    min: 0,
    max: Number.POSITIVE_INFINITY,
    options: {
      quick: { type: 'boolean', description: 'short runs' },
      repetitions: { type: 'string', value: 'N', description: 'repetitions per figure' },
    },
    json: false,
  },
  {
    name: 'help',
    synopsis: 'help [command]',
    summary: 'print help',
    kind: 'plain',
    min: 0,
    max: 1,
    options: none,
    json: false,
  },
]

/** The spec of a command, or `undefined`. */
export function commandSpec(name: string): CommandSpec | undefined {
  return COMMAND_SPECS.find((c) => c.name === name)
}
