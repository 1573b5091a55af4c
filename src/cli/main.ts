#!/usr/bin/env node
/**
 * The `ditto-blockstore` command line: `serve`, payload commands on a data directory or a
 * running server, `config`, `bench`. See docs/cli.md. Every run is checked in full (command,
 * flags, arguments, URL) before a data directory is locked or a server is contacted.
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../app/configured-engine.js'
import { firstSignal, runServe } from '../app/serve.js'
import { isBlockStoreError } from '../core/errors.js'
import type { CliIO } from './command-io.js'
import { prepareTargetCommand } from './commands.js'
import { printConfig } from './config-command.js'
import { openDirectTarget } from './direct-target.js'
import { ExitCode, exitCodeFor } from './exit-codes.js'
import { commandHelp, globalHelp } from './help.js'
import { openHttpTarget } from './http-target.js'
import { type Invocation, parseCommandLine, UsageError } from './parse.js'
import { isBrokenPipe, processIO } from './process-io.js'

/** The package version, from the package.json shipped beside `dist/`. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
  return String((pkg as { version?: unknown }).version)
}

async function bench(args: readonly string[], extra: string[], io: CliIO): Promise<number> {
  const root = fileURLToPath(new URL('../../', import.meta.url))
  if (!existsSync(`${root}bench/run.ts`)) {
    io.out('The benchmarks ship with the source checkout: clone the repository, then run')
    io.out('  npm install && npm run bench -- [workload...] [--quick]')
    return ExitCode.Ok
  }
  const child = spawn('npm', ['run', 'bench', '--', ...args, ...extra], {
    cwd: root,
    stdio: 'inherit',
  })
  return new Promise((resolve) => child.on('close', (code) => resolve(code ?? ExitCode.Error)))
}

/**
 * The server URL of a target command (`--url`, else `DITTO_URL`), checked; `undefined`
 * for direct mode.
 * @throws {UsageError} when it is not an http(s) URL, or setting flags come with it.
 */
function serverUrl(inv: Extract<Invocation, { kind: 'run' }>): string | undefined {
  const fromEnv = inv.url === undefined
  const url = inv.url ?? process.env.DITTO_URL
  if (url === undefined || url === '') return undefined
  const origin = fromEnv ? 'DITTO_URL' : '--url'
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {
    parsed = undefined
  }
  if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new UsageError(`${origin} "${url}" is not an http:// or https:// URL`, inv.spec.name)
  }
  const given = Object.keys(inv.settings)
  if (given.length > 0 || inv.configFile !== undefined) {
    // The server runs with its own settings: a data-directory flag here would be ignored.
    throw new UsageError(
      `settings (${inv.configFile === undefined ? '' : '--config '}${given.length} given) apply to the data directory, not to a server reached with ${origin}`,
      inv.spec.name,
    )
  }
  return url
}

async function run(inv: Extract<Invocation, { kind: 'run' }>, io: CliIO): Promise<number> {
  const { spec } = inv
  if (spec.name === 'bench') {
    const extra = [
      ...(inv.options.quick === true ? ['--quick'] : []),
      ...(typeof inv.options.repetitions === 'string'
        ? ['--repetitions', inv.options.repetitions]
        : []),
    ]
    return bench(inv.args, extra, io)
  }
  const options = { flags: inv.settings, configFile: inv.configFile }
  if (spec.name === 'config') return printConfig(await loadConfig(options), inv.json, io)
  if (spec.name === 'serve') {
    const outcome = await runServe({
      resolved: await loadConfig(options),
      out: io.out,
      err: (line) => io.stderr.write(`${line}\n`),
      stop: firstSignal(),
    })
    return outcome.shutdown.flushFailures.length > 0 ? ExitCode.Error : ExitCode.Ok
  }
  // Everything is checked before the directory is locked or the server contacted.
  const url = serverUrl(inv)
  const resolved = url === undefined ? await loadConfig(options) : undefined
  const action = await prepareTargetCommand({
    name: spec.name,
    args: inv.args,
    options: inv.options,
  })
  const target =
    resolved === undefined
      ? openHttpTarget(url!, process.env.DITTO_TOKEN)
      : await openDirectTarget(resolved)
  try {
    return await action({ target, json: inv.json, io })
  } finally {
    await target.close()
  }
}

function helpPointer(command: string | undefined): string {
  return `Run "ditto-blockstore ${command === undefined ? '' : `${command} `}--help" for usage.`
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  let inv: Invocation | undefined
  try {
    inv = parseCommandLine(argv)
    if (inv.kind === 'version') {
      io.out(packageVersion())
      return ExitCode.Ok
    }
    if (inv.kind === 'help') {
      io.out(inv.command === undefined ? globalHelp() : commandHelp(inv.command)!)
      return ExitCode.Ok
    }
    return await run(inv, io)
  } catch (err) {
    // A reader that stopped early (`| head`) is not a failure of the command.
    if (isBrokenPipe(err, io)) return ExitCode.Ok
    const command = inv?.kind === 'run' ? inv.spec.name : undefined
    if (err instanceof UsageError) {
      io.stderr.write(`error: ${err.message}\n${helpPointer(err.command)}\n`)
      return ExitCode.Usage
    }
    const code = exitCodeFor(err)
    const message = isBlockStoreError(err) ? `${err.code}: ${err.message}` : (err as Error).message
    io.stderr.write(`error: ${message}\n`)
    if (code === ExitCode.Usage) io.stderr.write(`${helpPointer(command)}\n`)
    return code
  }
}

/** True when this module is the program itself (`node dist/cli/main.js`), links resolved. */
function isEntryPoint(): boolean {
  const script = process.argv[1]
  if (script === undefined) return false
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (isEntryPoint()) process.exitCode = await main(process.argv.slice(2))
