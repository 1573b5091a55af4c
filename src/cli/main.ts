#!/usr/bin/env node
/**
 * The `ditto-blockstore` command line. Commands land as their parts do; `--help` lists what
 * works today.
 */
import { parseArgs } from 'node:util'
import { deduceDefaults, formatBytes } from '../core/defaults.js'
import { createSystemDetector } from '../platform/system-detector.js'

const HELP = `ditto-blockstore: block storage engine for virtual filesystems

Usage: ditto-blockstore <command> [options]

Commands available in this version:
  config      print the effective sizing deduced from this machine (memory, CPUs, cgroup limits)
  help        print this help

Options:
  --json      machine-readable output
  -h, --help  print help

Exit codes: 0 success, 1 runtime error, 2 usage error.
`

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export function main(argv: readonly string[], out: (text: string) => void = console.log): number {
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    })
  } catch (err) {
    out(`error: ${(err as Error).message}\n\n${HELP}`)
    return 2
  }
  const [command = 'help'] = parsed.positionals
  if (parsed.values.help === true || command === 'help') {
    out(HELP)
    return 0
  }
  if (command === 'config') {
    const d = deduceDefaults(createSystemDetector())
    if (parsed.values.json === true) {
      const { hitFloors, toString: _toString, ...fields } = d
      out(JSON.stringify({ deduced: fields, floorsHit: hitFloors() }, null, 2))
    } else {
      out(`local store size    ${formatBytes(d.localStoreSize)}  (25% of memory)`)
      out(`read buffer size    ${formatBytes(d.readBufferSize)}  (12.5% of memory)`)
      out(`dirty memory budget ${formatBytes(d.maxPendingSize)}  (50% of local store size)`)
      out(`parallel uploads    ${d.parallelSyncs}`)
      out(`parallel downloads  ${d.parallelFetches}`)
      out(`prefetch workers    ${d.prefetchWorkers}`)
      for (const f of d.hitFloors()) out(`floor hit: ${f}`)
    }
    return 0
  }
  out(`error: unknown command "${command}"\n\n${HELP}`)
  return 2
}

// Run only when executed directly, not when imported by tests.
if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/cli/main.js')) {
  process.exitCode = main(process.argv.slice(2))
}
