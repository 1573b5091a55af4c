/**
 * Spawns the real `ditto-blockstore serve` (the built CLI) on 127.0.0.1 port 0 and reads the
 * bound address from its machine-readable "listening on" line.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'

/** The built CLI. */
export const cliBin = new URL('../../dist/cli/main.js', import.meta.url).pathname

/** A running server process. */
export interface ServerProcess {
  readonly child: ChildProcess
  readonly url: string
  readonly pid: number
  /** Everything written so far. */
  stdout(): string
  stderr(): string
  /** Resolves with the exit code (or the signal name) once the process has ended. */
  readonly exited: Promise<number | string>
  /** Peak resident set size of the process so far (VmHWM), in bytes. */
  peakRss(): Promise<number>
}

/** Starts the server with extra arguments and environment; rejects if it dies first. */
export async function startServer(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [cliBin, 'serve', '--port', '0', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d
  })
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d
  })
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string)
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (): void => {
      const m = /ditto-blockstore listening on (http:\/\/\S+)/.exec(out)
      if (m !== null) {
        child.stdout!.off('data', onData)
        resolve(m[1]!)
      }
    }
    child.stdout!.on('data', onData)
    exited.then(
      (code) => reject(new Error(`server exited (${code}) before listening:\n${err}`)),
      reject,
    )
  })
  return {
    child,
    url,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    exited,
    async peakRss(): Promise<number> {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8')
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) * 1024
    },
  }
}

/** Sends `signal` and waits for the exit. */
export async function stopServer(
  server: ServerProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<number | string> {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill(signal)
  return server.exited
}

/** Deterministic pseudo-random bytes (xorshift), so contents can be re-derived to compare. */
export function patternBytes(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length)
  let x = seed | 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}
