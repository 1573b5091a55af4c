/**
 * `flush`: one payload (`flush <id>`, its output unchanged), several at once
 * (`flush <id> <id>...`) or every payload with unflushed changes (`flush --all`). The batch
 * forms print one line per payload and exit non-zero unless every one of them is durable.
 */
import { BlockStoreError, ERROR_CODES, type ErrorCode } from '../core/errors.js'
import { type Action, type CommandInput, payloadId, print } from './command-io.js'
import { ExitCode, exitCodeFor } from './exit-codes.js'
import { UsageError } from './parse.js'
import type { BatchFlushReport } from './target.js'

/** The exit code of a batch: 0 all durable, 6 some, else the first failure's own code. */
export function batchExitCode(report: BatchFlushReport): number {
  const first = report.failures[0]
  if (first === undefined) return ExitCode.Ok
  if (report.results.length > 0) return ExitCode.Partial
  const code = first.code in ERROR_CODES ? (first.code as ErrorCode) : 'BS_INTERNAL'
  return exitCodeFor(new BlockStoreError(code, first.message))
}

/**
 * Checks `flush`'s arguments: IDs, or `--all` alone.
 * @throws {UsageError} for neither or both; {BlockStoreError} for a malformed ID.
 */
export function prepareFlush(input: CommandInput): Action {
  const all = input.options.all === true
  if (all === input.args.length > 0) {
    throw new UsageError(
      all
        ? 'flush takes either payload IDs or --all, not both'
        : 'flush needs payload IDs or --all',
      'flush',
    )
  }
  const ids = input.args.map((id) => payloadId(id))
  if (!all && ids.length === 1) {
    const target = ids[0]!
    return async (run) => {
      const r = await run.target.flush(target)
      print(run, { id: target, ...r }, () => [`${target}: finalized: ${r.finalized}`])
      return ExitCode.Ok
    }
  }
  return async (run) => {
    const report = all ? await run.target.flushAll() : await run.target.flushMany(ids)
    const nothing = report.results.length === 0 && report.failures.length === 0
    print(run, report, () =>
      nothing
        ? ['no payload has unflushed changes']
        : [
            ...report.results.map((r) => `${r.id}: finalized: ${r.finalized}`),
            ...report.failures.map((f) => `${f.id}: failed: ${f.code} ${f.message}`),
          ],
    )
    return batchExitCode(report)
  }
}
