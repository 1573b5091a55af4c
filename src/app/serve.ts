/**
 * `serve`: opens the configured engine, starts the HTTP server, prints the effective
 * configuration and the bound address, and shuts down safely on SIGINT/SIGTERM: stop
 * accepting, finish in-flight requests, flush, drain uploads within the budget, close the
 * stores. A second signal exits at once; the stores are crash-safe, so nothing is corrupted
 * (flushed data is durable, unflushed writes were never acknowledged as durable).
 */
import { decideToken } from '../server/auth.js'
import { BlockStoreServer, type ShutdownReport } from '../server/block-store-server.js'
import type { ResolvedConfig } from './config.js'
import { describeConfig } from './config-print.js'
import { openConfiguredEngine } from './configured-engine.js'

/** Prefix of the machine-readable line announcing the bound address. */
export const ListeningLine = 'ditto-blockstore listening on '

/** Options of {@link runServe}. */
export interface RunServeOptions {
  readonly resolved: ResolvedConfig
  /** Standard output lines. */
  readonly out: (line: string) => void
  /** Diagnostics. */
  readonly err: (line: string) => void
  /** Resolves when shutdown should begin (e.g. the first signal). */
  readonly stop: Promise<string>
}

/** Outcome of a served session. */
export interface ServeOutcome {
  readonly shutdown: ShutdownReport
  /** Uploads drained at shutdown (undefined when local-only or the drain timed out). */
  readonly drained?: { uploaded: number; failed: number } | undefined
  readonly drainTimedOut: boolean
}

/**
 * Resolves with the name of the first SIGINT or SIGTERM, the cue for {@link runServe} to shut
 * down. A second signal exits the process at once (130 or 143): the stores are crash-safe and
 * flushed data is durable, so an impatient operator loses only what was never acknowledged.
 */
export function firstSignal(): Promise<string> {
  return new Promise((resolve) => {
    const first = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', first)
      process.off('SIGTERM', first)
      const again = (s: NodeJS.Signals): never => process.exit(s === 'SIGINT' ? 130 : 143)
      process.once('SIGINT', again)
      process.once('SIGTERM', again)
      resolve(signal)
    }
    process.once('SIGINT', first)
    process.once('SIGTERM', first)
  })
}

/** Runs the server until `stop` resolves, then shuts down within the configured budget. */
export async function runServe(options: RunServeOptions): Promise<ServeOutcome> {
  const { resolved, out, err } = options
  const { config } = resolved
  const { token, generated } = decideToken(config.host, config.token)
  const opened = await openConfiguredEngine(resolved)
  let server: BlockStoreServer
  try {
    server = await BlockStoreServer.listen({
      engine: opened.engine,
      host: config.host,
      port: config.port,
      token,
      maxBodyBytes: config.maxBody,
      logger: { warn: err, error: (m, e) => err(`${m}: ${(e as Error)?.stack ?? String(e)}`) },
    })
  } catch (e) {
    await opened.close()
    throw e
  }
  out('effective configuration:')
  for (const line of describeConfig(resolved)) out(line)
  if (generated) {
    out(`token: ${token} (generated for this run because ${config.host} is not loopback;`)
    out('       clients send it as "Authorization: Bearer <token>" or DITTO_TOKEN for the CLI)')
  }
  out(`${ListeningLine}${server.url}`)
  const signal = await options.stop
  const started = Date.now()
  err(`${signal}: shutting down (send it again to exit at once)`)
  const shutdown = await server.shutdown(config.shutdownTimeout)
  for (const f of shutdown.flushFailures)
    err(`flush of ${f.id} failed at shutdown: ${f.code} ${f.message}`)
  let drained: ServeOutcome['drained']
  let drainTimedOut = false
  if (opened.engine.hasRemote) {
    const budget = Math.max(1, config.shutdownTimeout - (Date.now() - started))
    try {
      const report = await opened.engine.drainAllUploads({ signal: AbortSignal.timeout(budget) })
      drained = { uploaded: report.uploaded, failed: report.failed.length }
      err(`drained uploads: ${report.uploaded} uploaded, ${report.failed.length} failed`)
    } catch {
      drainTimedOut = true
      err('upload drain did not finish in time: the rest uploads at the next start')
    }
  }
  await opened.close()
  err('stopped')
  return { shutdown, drained, drainTimedOut }
}
