/**
 * Atomic replacement at the engine level: `renamePayload` (flush, move in one metadata commit,
 * flush the result) and the replacements of `beginReplace`, written to a staging payload and
 * renamed onto their target on commit.
 */
import type { AbortOptions } from '../core/abort.js'
import type { FlushResult } from '../core/block.js'
import type { PayloadReplacement } from '../core/block-store.js'
import { BlockStoreError } from '../core/errors.js'
import type { DirtyPayloads } from './dirty-payloads.js'
import type { EngineParts } from './engine.js'
import { flushPayload } from './flush-payload.js'
import { checkOffset, checkWriteEnd } from './input-checks.js'
import { deletePayload, writePayload } from './write-path.js'

/** What these helpers need of the engine. */
export interface EngineOps {
  readonly parts: EngineParts
  readonly dirty: DirtyPayloads
  /** Runs a call inside the engine's close gate. */
  run<T>(op: string, options: AbortOptions | undefined, fn: () => Promise<T>): Promise<T>
}

/**
 * Renames `src` (of `size` bytes, checked to exist) onto `dst`: flushed first through the
 * engine (so uploaded when durability asks for it), moved in one commit by the local store,
 * then flushed as `dst` for the result.
 */
export async function renameFlushed(
  e: EngineOps,
  src: string,
  dst: string,
  size: number,
  o?: AbortOptions,
): Promise<FlushResult> {
  const { parts: p, dirty } = e
  await flushPayload(p, src, size, o, false)
  p.buffer.invalidateAndReset(dst)
  try {
    await p.local.store.renamePayload(src, dst, o)
  } finally {
    // After the move too: a read that raced it may have cached old bytes of `dst`.
    p.buffer.invalidateAndReset(dst)
    p.buffer.invalidateAndReset(src)
  }
  if (dirty.since.has(src)) dirty.mark(dst)
  dirty.forget(src)
  const result = await flushPayload(p, dst, size, o)
  if (result.finalized) dirty.forget(dst)
  return result
}

/** A replacement of `pid` written to the staging payload `staging`. */
export function createReplacement(e: EngineOps, pid: string, staging: string): PayloadReplacement {
  const { parts: p, dirty } = e
  let state: 'open' | 'committing' | 'done' = 'open'
  const open = (op: string): void => {
    if (state !== 'open') {
      throw new BlockStoreError('BS_INVALID_ARGUMENT', `replacement of ${pid} is ${state}`, {
        op,
        payloadId: pid,
      })
    }
  }
  const discard = async (): Promise<void> => {
    if ((await p.local.store.getFileSize(staging)) === undefined) return
    await deletePayload(p, dirty, staging)
  }
  return {
    payloadId: pid,
    writeAt: (data, offset, o) =>
      e.run('writeAt', o, async () => {
        open('writeAt')
        checkOffset(offset)
        checkWriteEnd(pid, offset, data.length)
        await writePayload(p, dirty, staging, data, offset, o)
      }),
    commit: (o) =>
      e.run('commit', o, async () => {
        open('commit')
        state = 'committing'
        try {
          // An empty body wrote nothing: the new content still exists, with size 0.
          const known = await p.local.store.getFileSize(staging, o)
          if (known === undefined) await p.local.store.truncate(staging, 0, o)
          const size = known ?? 0
          return { ...(await renameFlushed(e, staging, pid, size, o)), size }
        } catch (err) {
          // The staging payload goes; the target is as it was (or already replaced, when only
          // the final flush failed: its content is then the new one, durable locally).
          await discard().catch(() => {})
          throw err
        } finally {
          state = 'done'
        }
      }),
    abort: () =>
      e.run('abort', undefined, async () => {
        if (state !== 'open') return
        state = 'done'
        await discard()
      }),
  }
}
