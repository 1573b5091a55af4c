/** Shared shapes and helpers of the CLI commands: I/O, prepared actions, argument checks. */
import type { Readable, Writable } from 'node:stream'
import { BlockStoreError } from '../core/errors.js'
import { assertPayloadId } from '../core/payload-id.js'
import type { ProgressStream } from './progress.js'
import type { CliTarget } from './target.js'

/** Streams and output of one CLI run. */
export interface CliIO {
  readonly stdin: Readable
  readonly stdout: Writable & { readonly isTTY?: boolean | undefined }
  readonly stderr: ProgressStream
  /** Prints one line on standard output. */
  out(line: string): void
  /** True once standard output's reader has gone away (EPIPE). */
  stdoutClosed?(): boolean
}

/** What a prepared command runs with. */
export interface CommandRun {
  readonly target: CliTarget
  readonly json: boolean
  readonly io: CliIO
}

/** A checked command, ready to run on a target; resolves to the exit code. */
export type Action = (run: CommandRun) => Promise<number>

/** A command's checked inputs. */
export interface CommandInput {
  readonly name: string
  readonly args: readonly string[]
  readonly options: Readonly<Record<string, string | boolean>>
}

/** Checks a payload ID argument. */
export function payloadId(text: string | undefined): string {
  assertPayloadId(text)
  return text
}

/** Reads a whole number >= `min`. */
export function wholeNumber(text: string | undefined, what: string, min = 0): number {
  const n = /^\d+$/.test(text ?? '') ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(n) || n < min) {
    throw new BlockStoreError('BS_INVALID_SIZE', `${what} must be an integer >= ${min}`)
  }
  return n
}

/** Prints `value` as JSON with `--json`, else the human lines. */
export function print(run: CommandRun, value: unknown, human: () => string[]): void {
  if (run.json) run.io.out(JSON.stringify(value, null, 2))
  else for (const line of human()) run.io.out(line)
}
