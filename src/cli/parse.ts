/**
 * Reads the command line into an invocation before anything is opened: the command, its
 * positional arguments and the options it takes. Any flag the command does not take, a
 * missing option value or a wrong number of arguments is a usage error, so a mistyped
 * `rm x --dry-run` deletes nothing.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util'
import type { RawValue } from '../app/config.js'
import { SETTINGS, type SettingKey } from '../app/config-schema.js'
import { COMMAND_SPECS, type CommandSpec, commandSpec } from './command-specs.js'

/** A bad command line: printed as one line plus a pointer to the help, exit 2. */
export class UsageError extends Error {
  /** The command whose help the pointer names (none: the global help). */
  readonly command: string | undefined

  constructor(message: string, command?: string) {
    super(message)
    this.name = 'UsageError'
    this.command = command
  }
}

/** A parsed command line. */
export type Invocation =
  | { readonly kind: 'version' }
  | { readonly kind: 'help'; readonly command?: string | undefined }
  | {
      readonly kind: 'run'
      readonly spec: CommandSpec
      readonly args: readonly string[]
      /** Values of the command's own options (kebab-case names). */
      readonly options: Readonly<Record<string, string | boolean>>
      readonly json: boolean
      /** `--url` when given on the command line. */
      readonly url?: string | undefined
      readonly configFile?: string | undefined
      /** Setting flags given, by setting key. */
      readonly settings: Readonly<Partial<Record<SettingKey, RawValue>>>
    }

type Options = NonNullable<ParseArgsConfig['options']>

const COMMON: Options = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
}
const JSON_OPTION: Options = { json: { type: 'boolean' } }
const CONFIG_OPTION: Options = { config: { type: 'string' } }
const URL_OPTION: Options = { url: { type: 'string' } }
const SETTING_OPTIONS: Options = {}
/** The settings of a data directory: what commands that open one take. */
const DATA_DIR_OPTIONS: Options = {}
for (const s of SETTINGS) {
  const options: Options = { [s.flag]: { type: s.type === 'boolean' ? 'boolean' : 'string' } }
  if (s.type === 'boolean') options[`no-${s.flag}`] = { type: 'boolean' }
  Object.assign(SETTING_OPTIONS, options)
  if (s.serverOnly !== true) Object.assign(DATA_DIR_OPTIONS, options)
}

/** Every option any command takes: parsing with all of them keeps values attached to flags. */
function allOptions(): Options {
  const all: Options = { ...COMMON, ...JSON_OPTION, ...CONFIG_OPTION, ...URL_OPTION }
  Object.assign(all, SETTING_OPTIONS)
  for (const c of COMMAND_SPECS) {
    for (const [name, o] of Object.entries(c.options)) {
      all[name] = { type: o.type, ...(o.short === undefined ? {} : { short: o.short }) }
    }
  }
  return all
}

/** The options `spec` accepts. */
export function optionsOf(spec: CommandSpec | undefined): Options {
  if (spec === undefined) return COMMON
  return {
    ...COMMON,
    ...(spec.json ? JSON_OPTION : {}),
    ...(spec.kind === 'plain' ? {} : CONFIG_OPTION),
    ...(spec.kind === 'settings' ? SETTING_OPTIONS : {}),
    ...(spec.kind === 'target' ? DATA_DIR_OPTIONS : {}),
    ...(spec.kind === 'target' ? URL_OPTION : {}),
    ...spec.options,
  }
}

/**
 * Edit distance counting a swap of two neighbouring letters as one edit (optimal string
 * alignment), since swapped letters are the commonest typo: "evcit" is one edit from "evict".
 */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  )
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i]!
      const up = d[i - 1]!
      row[j] = Math.min(up[j]! + 1, row[j - 1]! + 1, up[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1)
      }
    }
  }
  return d[a.length]![b.length]!
}

/** The closest of `candidates` to `word`, when close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const c of candidates) {
    const d = c.startsWith(word) && word.length >= 3 ? 0.5 : distance(word, c)
    if (d < bestDistance) [best, bestDistance] = [c, d]
  }
  return bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined
}

const suggest = (hint: string | undefined, prefix = ''): string =>
  hint === undefined ? '' : ` (did you mean ${prefix}${hint}?)`

/**
 * Parses `argv` (without node and script).
 * @throws {UsageError} for anything the command does not take.
 */
export function parseCommandLine(argv: readonly string[]): Invocation {
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args: [...argv],
      options: allOptions(),
      allowPositionals: true,
      strict: false,
      tokens: true,
    })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const [name, ...args] = parsed.positionals
  const spec = name === undefined ? undefined : commandSpec(name)
  if (name !== undefined && spec === undefined) {
    const hint = closest(
      name,
      COMMAND_SPECS.map((c) => c.name),
    )
    throw new UsageError(`unknown command "${name}"${suggest(hint)}`)
  }
  const accepted = optionsOf(spec)
  const all = allOptions()
  const values: Record<string, string | boolean> = {}
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue
    const flag = token.rawName.startsWith('--') ? token.rawName : `-${token.name}`
    const own = accepted[token.name]
    if (own === undefined) {
      const where = spec === undefined ? '' : `${spec.name} `
      const known = all[token.name] !== undefined
      const hint = known ? undefined : closest(token.name, Object.keys(accepted))
      throw new UsageError(
        known
          ? `${where === '' ? 'ditto-blockstore ' : where}does not take ${flag}`
          : `unknown option ${flag}${suggest(hint, '--')}`,
        spec?.name,
      )
    }
    // Without strict parsing, "--limit --json" would take "--json" as the limit.
    const optionLike =
      token.inlineValue !== true && token.value !== undefined && /^-./.test(token.value)
    if (own.type === 'string' && (token.value === undefined || optionLike)) {
      throw new UsageError(`${flag} needs a value`, spec?.name)
    }
    if (own.type === 'boolean' && token.value !== undefined) {
      throw new UsageError(`${flag} takes no value`, spec?.name)
    }
    if (values[token.name] !== undefined) {
      throw new UsageError(`${flag} is given twice`, spec?.name)
    }
    values[token.name] = token.value ?? true
  }
  if (values.version === true) return { kind: 'version' }
  if (spec === undefined || spec.name === 'help') {
    const topic = args[0]
    if (args.length > 1) throw new UsageError('help takes at most one command', 'help')
    if (topic !== undefined && commandSpec(topic) === undefined) {
      const hint = closest(
        topic,
        COMMAND_SPECS.map((c) => c.name),
      )
      throw new UsageError(`unknown command "${topic}"${suggest(hint)}`)
    }
    return { kind: 'help', command: topic }
  }
  if (values.help === true) return { kind: 'help', command: spec.name }
  if (args.length < spec.min || args.length > spec.max) {
    throw new UsageError(`usage: ditto-blockstore ${spec.synopsis}`, spec.name)
  }
  const settings: Partial<Record<SettingKey, RawValue>> = {}
  for (const s of SETTINGS) {
    if (values[s.flag] !== undefined && values[`no-${s.flag}`] !== undefined) {
      throw new UsageError(`--${s.flag} and --no-${s.flag} contradict each other`, spec.name)
    }
    const v = values[`no-${s.flag}`] === true ? false : values[s.flag]
    if (v !== undefined) settings[s.key] = v
  }
  const own: Record<string, string | boolean> = {}
  for (const key of Object.keys(spec.options))
    if (values[key] !== undefined) own[key] = values[key]!
  const url = typeof values.url === 'string' ? values.url : undefined
  const configFile = typeof values.config === 'string' ? values.config : undefined
  return {
    kind: 'run',
    spec,
    args,
    options: own,
    json: values.json === true,
    url,
    configFile,
    settings,
  }
}
