/**
 * The payload commands that act on a target (a data directory or a server). Each one is
 * prepared first (arguments checked, nothing opened), then run on the opened target, so a
 * bad argument never takes the data directory's lock or reaches a server.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import type { PayloadRecord } from '../core/metadata-store.js'
import { formatSize } from '../core/units.js'
import { prepareAdmin } from './admin-commands.js'
import { type Action, type CommandInput, payloadId, print, wholeNumber } from './command-io.js'
import { ExitCode } from './exit-codes.js'
import { prepareFlush } from './flush-command.js'
import { UsageError } from './parse.js'
import { Progress, type ProgressStream } from './progress.js'

async function preparePut(args: readonly string[]): Promise<Action> {
  const [source, target] = [args[0]!, payloadId(args[1])]
  const fromStdin = source === '-'
  let total: number | undefined
  if (!fromStdin) {
    // Checked before the store is opened: a typo in the file name must not lock anything.
    const info = await stat(source).catch(() => undefined)
    if (info?.isFile() !== true)
      throw new UsageError(`put: "${source}" is not a readable file`, 'put')
    total = info.size
  }
  return async (run) => {
    const progress = new Progress(run.io.stderr, `put ${target}`, { total })
    const input = fromStdin ? run.io.stdin : createReadStream(source)
    const result = await run.target.put(target, input, (n) => progress.update(n))
    progress.finish()
    print(run, result, () => [
      `${result.id}: ${result.size} bytes (${formatSize(result.size)}), finalized: ${result.finalized}`,
    ])
    return ExitCode.Ok
  }
}

function prepareGet(args: readonly string[]): Action {
  const source = payloadId(args[0])
  const dest = args[1] ?? '-'
  const toStdout = dest === '-'
  return async (run) => {
    // A bar on the terminal that also shows the data would garble it.
    const progress = new Progress(
      toStdout && run.io.stdout.isTTY === true ? ({} as ProgressStream) : run.io.stderr,
      `get ${source}`,
    )
    const sink = toStdout ? run.io.stdout : createWriteStream(dest)
    try {
      await run.target.get(
        source,
        sink,
        (n) => progress.setTotal(n),
        (n) => progress.update(n),
      )
    } catch (err) {
      // Never leave a partial file that looks complete.
      if (!toStdout) await rm(dest, { force: true })
      throw err
    }
    progress.finish()
    return ExitCode.Ok
  }
}

function prepareLs(input: CommandInput): Action {
  const prefix = input.args[0]
  const given = input.options.limit
  const limit =
    given === undefined ? Number.POSITIVE_INFINITY : wholeNumber(String(given), '--limit', 1)
  return async (run) => {
    const items: PayloadRecord[] = []
    let cursor: string | undefined
    do {
      const page = await run.target.list(
        prefix,
        cursor,
        Math.min(1000, Math.max(1, limit - items.length)),
      )
      items.push(...page.items.slice(0, limit - items.length))
      cursor = page.nextCursor
    } while (cursor !== undefined && items.length < limit)
    print(run, items, () =>
      items.map(
        (r) => `${String(r.size).padStart(14)}  ${new Date(r.modifiedAt).toISOString()}  ${r.id}`,
      ),
    )
    return ExitCode.Ok
  }
}

function prepareStat(args: readonly string[]): Action {
  const target = payloadId(args[0])
  return async (run) => {
    const rec = await run.target.stat(target)
    const when = (ms: number): string => (Number.isFinite(ms) ? new Date(ms).toISOString() : '-')
    print(run, rec, () => [
      `id        ${rec.id}`,
      `size      ${rec.size} (${formatSize(rec.size)})`,
      `created   ${when(rec.createdAt)}`,
      `modified  ${when(rec.modifiedAt)}`,
    ])
    return ExitCode.Ok
  }
}

function prepareSimple(input: CommandInput): Action {
  const { name, args } = input
  switch (name) {
    case 'rm': {
      const target = payloadId(args[0])
      return async (run) => {
        await run.target.remove(target)
        print(run, { id: target, deleted: true }, () => [])
        return ExitCode.Ok
      }
    }
    case 'truncate': {
      const [target, n] = [payloadId(args[0]), wholeNumber(args[1], 'size')]
      return async (run) => {
        await run.target.truncate(target, n)
        print(run, { id: target, size: n }, () => [`${target}: ${n} bytes`])
        return ExitCode.Ok
      }
    }
    case 'cp': {
      const [src, dst] = [payloadId(args[0]), payloadId(args[1])]
      return async (run) => {
        const blocksCopied = await run.target.copy(src, dst)
        print(run, { from: src, to: dst, blocksCopied }, () => [
          `${src} -> ${dst}: ${blocksCopied} blocks`,
        ])
        return ExitCode.Ok
      }
    }
    case 'flush':
      return prepareFlush(input)
    default:
      return prepareAdmin(input)
  }
}

/**
 * Checks a target command's arguments and options (the arity is checked by the parser).
 * @throws {UsageError} or {BlockStoreError} (bad ID, size, duration) before anything opens.
 */
export async function prepareTargetCommand(input: CommandInput): Promise<Action> {
  switch (input.name) {
    case 'put':
      return preparePut(input.args)
    case 'get':
      return prepareGet(input.args)
    case 'ls':
      return prepareLs(input)
    case 'stat':
      return prepareStat(input.args)
    default:
      return prepareSimple(input)
  }
}
