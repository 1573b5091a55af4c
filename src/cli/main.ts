#!/usr/bin/env node
/**
 * The `ditto-blockstore` command line: `serve`, payload commands on a data directory or a
 * running server, `config`, `bench`. See docs/cli.md.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { deduceDefaults } from '../core/defaults.js'
import { isBlockStoreError } from '../core/errors.js'
import { createSystemDetector } from '../platform/system-detector.js'
import type { RawValue } from '../server/config.js'
import { configToJSON, describeConfig } from '../server/config-print.js'
import { SETTINGS, type SettingKey } from '../server/config-schema.js'
import { loadConfig } from '../server/configured-engine.js'
import { runServe } from '../server/serve.js'
import { type CliIO, runTargetCommand, TARGET_COMMANDS } from './commands.js'
import { openDirectTarget } from './direct-target.js'
import { ExitCode, exitCodeFor } from './exit-codes.js'
import { commandHelp, globalHelp } from './help.js'
import { openHttpTarget } from './http-target.js'

type Options = NonNullable<ParseArgsConfig['options']>

const OPTIONS: Options = {
  url: { type: 'string' },
  json: { type: 'boolean' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  limit: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'read-buffer-only': { type: 'boolean' },
  'local-only': { type: 'boolean' },
  payload: { type: 'string' },
  quick: { type: 'boolean' },
}
for (const s of SETTINGS) {
  OPTIONS[s.flag] = { type: s.type === 'boolean' ? 'boolean' : 'string' }
  if (s.type === 'boolean') OPTIONS[`no-${s.flag}`] = { type: 'boolean' }
}

/** Setting values given as flags, by setting key. */
function settingFlags(
  values: Record<string, string | boolean | undefined>,
): Partial<Record<SettingKey, RawValue>> {
  const flags: Partial<Record<SettingKey, RawValue>> = {}
  for (const s of SETTINGS) {
    const v = values[`no-${s.flag}`] === true ? false : values[s.flag]
    if (v !== undefined) flags[s.key] = v
  }
  return flags
}

/** The process's streams as CLI I/O. */
export function processIO(): CliIO {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    out: (line) => process.stdout.write(`${line}\n`),
  }
}

function firstSignal(): Promise<string> {
  return new Promise((resolve) => {
    const first = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', first)
      process.off('SIGTERM', first)
      // A second signal exits at once: the stores are crash-safe and flushed data is durable.
      const again = (s: NodeJS.Signals): never => process.exit(s === 'SIGINT' ? 130 : 143)
      process.once('SIGINT', again)
      process.once('SIGTERM', again)
      resolve(signal)
    }
    process.once('SIGINT', first)
    process.once('SIGTERM', first)
  })
}

async function bench(args: readonly string[], quick: boolean, io: CliIO): Promise<number> {
  const root = fileURLToPath(new URL('../../', import.meta.url))
  if (!existsSync(`${root}bench/run.ts`)) {
    io.out('The benchmarks ship with the source checkout: clone the repository, then run')
    io.out('  npm install && npm run bench -- [workload...] [--quick]')
    return ExitCode.Ok
  }
  const child = spawn('npm', ['run', 'bench', '--', ...args, ...(quick ? ['--quick'] : [])], {
    cwd: root,
    stdio: 'inherit',
  })
  return new Promise((resolve) => child.on('close', (code) => resolve(code ?? ExitCode.Error)))
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: OPTIONS })
  } catch (err) {
    io.out(`error: ${(err as Error).message}\n\n${globalHelp()}`)
    return ExitCode.Usage
  }
  const values = parsed.values as Record<string, string | boolean | undefined>
  const [command = 'help', ...args] = parsed.positionals
  const json = values.json === true
  if (command === 'help' || (values.help === true && args.length === 0 && command === 'help')) {
    io.out(args[0] === undefined ? globalHelp() : (commandHelp(args[0]) ?? globalHelp()))
    return ExitCode.Ok
  }
  const help = commandHelp(command)
  if (help === undefined) {
    io.out(`error: unknown command "${command}"\n\n${globalHelp()}`)
    return ExitCode.Usage
  }
  if (values.help === true) {
    io.out(help)
    return ExitCode.Ok
  }
  try {
    if (command === 'bench') return await bench(args, values.quick === true, io)
    const configFile = typeof values.config === 'string' ? values.config : undefined
    const url = typeof values.url === 'string' ? values.url : process.env.DITTO_URL
    const needsConfig =
      command === 'serve' || command === 'config' || url === undefined || url === ''
    const resolved = needsConfig
      ? await loadConfig({ flags: settingFlags(values), configFile })
      : undefined
    if (command === 'config') {
      const d = deduceDefaults(createSystemDetector())
      const { hitFloors: _h, toString: _t, ...deduced } = d
      if (json) io.out(JSON.stringify({ ...configToJSON(resolved!), deduced }, null, 2))
      else for (const line of describeConfig(resolved!)) io.out(line)
      return ExitCode.Ok
    }
    if (command === 'serve') {
      const outcome = await runServe({
        resolved: resolved!,
        out: io.out,
        err: (line) => io.stderr.write(`${line}\n`),
        stop: firstSignal(),
      })
      return outcome.shutdown.flushFailures.length > 0 ? ExitCode.Error : ExitCode.Ok
    }
    if (!(TARGET_COMMANDS as readonly string[]).includes(command)) return ExitCode.Usage
    const target =
      resolved === undefined
        ? openHttpTarget(url!, process.env.DITTO_TOKEN)
        : await openDirectTarget(resolved)
    try {
      return await runTargetCommand(command, { target, args, values, json, io })
    } finally {
      await target.close()
    }
  } catch (err) {
    const message = isBlockStoreError(err) ? `${err.code}: ${err.message}` : (err as Error).message
    io.stderr.write(`error: ${message}\n`)
    return exitCodeFor(err)
  }
}

// Run only when executed directly, not when imported by tests.
if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/cli/main.js')) {
  process.exitCode = await main(process.argv.slice(2))
}
