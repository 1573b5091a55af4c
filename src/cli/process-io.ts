/**
 * The process's streams as CLI I/O. A reader that goes away early (`ditto-blockstore ls |
 * head -1`) closes the pipe: further output is dropped quietly and the command ends with
 * exit 0, as `cat` and `ls` do, instead of crashing on an unhandled EPIPE.
 */
import type { CliIO } from './command-io.js'

const brokenPipe = (err: unknown): boolean => (err as NodeJS.ErrnoException)?.code === 'EPIPE'

/** The process's standard streams, with EPIPE on output handled. */
export function processIO(): CliIO {
  let closed = false
  process.stdout.on('error', (err) => {
    if (brokenPipe(err)) {
      closed = true
      return
    }
    process.stderr.write(`error: cannot write standard output: ${err.message}\n`)
    process.exit(1)
  })
  // Diagnostics nobody reads any more are not worth a crash either.
  process.stderr.on('error', () => undefined)
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    out: (line) => {
      if (!closed) process.stdout.write(`${line}\n`)
    },
    stdoutClosed: () => closed,
  }
}

/**
 * True when `err` only says that standard output's reader went away: the write failed with
 * EPIPE, or a stream gave up because standard output had already been closed.
 */
export function isBrokenPipe(err: unknown, io: CliIO): boolean {
  if (brokenPipe(err)) return true
  const code = (err as NodeJS.ErrnoException)?.code
  return (
    io.stdoutClosed?.() === true &&
    (code === 'ERR_STREAM_DESTROYED' ||
      code === 'ERR_STREAM_PREMATURE_CLOSE' ||
      code === 'ERR_STREAM_WRITE_AFTER_END')
  )
}
