/** `ditto-blockstore config`: the effective configuration, for people or as JSON. */

import type { ResolvedConfig } from '../app/config.js'
import { configToJSON, describeConfig } from '../app/config-print.js'
import { deduceDefaults } from '../core/defaults.js'
import { createSystemDetector } from '../platform/system-detector.js'
import type { CliIO } from './command-io.js'
import { ExitCode } from './exit-codes.js'

/** Prints the configuration; with `json`, also what this machine's sizing deduces. */
export function printConfig(resolved: ResolvedConfig, json: boolean, io: CliIO): number {
  if (!json) {
    for (const line of describeConfig(resolved)) io.out(line)
    return ExitCode.Ok
  }
  const d = deduceDefaults(createSystemDetector())
  // Named by the flag each figure is the default of, like the settings themselves.
  const deduced = {
    'local-max-disk': d.localStoreSize,
    'local-max-memory': d.maxPendingSize,
    'read-buffer': d.readBufferSize,
    'prefetch-workers': d.prefetchWorkers,
    'parallel-uploads': d.parallelSyncs,
    'parallel-fetches': d.parallelFetches,
  }
  io.out(JSON.stringify({ ...configToJSON(resolved), deduced }, null, 2))
  return ExitCode.Ok
}
