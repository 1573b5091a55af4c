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
import { flushPayload, flushUploads } from './flush-payload.js'
import { checkOffset, checkWriteEnd } from './input-checks.js'
import type { EngineParts } from './parts.js'
import { deletePayload, writePayload } from './write-path.js'

/** What a replacement's commit resolves with. */
type Committed = FlushResult & { readonly size: number; readonly created: boolean }

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

/**
 * Largest replacement held in memory until its commit, to be written in one durable step
 * ({@link LocalStore.resetPayload}) instead of through a staging payload and a rename. Bounds
 * the memory an open replacement holds outside the local tier's write budget.
 */
export const SMALL_REPLACEMENT_BYTES = 256 * 1024

/**
 * A replacement of `pid`. Its bytes are held in memory while they fit in
 * {@link SMALL_REPLACEMENT_BYTES}, and committed by the local store's reset when it has one
 * (one journal record: a 4 KiB PUT then costs one shared sync instead of four in series).
 * Otherwise they go to the staging payload `staging`, renamed onto `pid` on commit.
 */
export function createReplacement(
  e: EngineOps,
  pid: string,
  newStaging: () => string,
): PayloadReplacement {
  const { parts: p, dirty } = e
  let state: 'open' | 'committing' | 'done' = 'open'
  // Named only when the content goes to a staging payload: most replacements never do.
  let stagingId: string | undefined
  const staging = (): string => {
    stagingId ??= newStaging()
    return stagingId
  }
  /** The content so far while it is held in memory; `undefined` once it went to `staging`. */
  let held: Buffer | undefined = Buffer.alloc(0)
  let heldSize = 0
  const open = (op: string): void => {
    if (state !== 'open') {
      throw new BlockStoreError('BS_INVALID_ARGUMENT', `replacement of ${pid} is ${state}`, {
        op,
        payloadId: pid,
      })
    }
  }
  const discard = async (): Promise<void> => {
    if (held !== undefined) return
    if ((await p.local.store.getFileSize(staging())) === undefined) return
    await deletePayload(p, dirty, staging())
  }
  /** Moves the held bytes to the staging payload; later writes go there directly. */
  const stage = async (o?: AbortOptions): Promise<void> => {
    if (held === undefined) return
    const bytes = held.subarray(0, heldSize)
    held = undefined
    await writePayload(p, dirty, staging(), bytes, 0, o)
  }
  const hold = (data: Uint8Array, offset: number): boolean => {
    if (held === undefined) return false
    const end = offset + data.length
    if (end > SMALL_REPLACEMENT_BYTES) return false
    if (end > held.length) {
      const grown = Buffer.alloc(Math.min(SMALL_REPLACEMENT_BYTES, Math.max(end, 2 * held.length)))
      grown.set(held.subarray(0, heldSize))
      held = grown
    }
    held.set(data, offset)
    heldSize = Math.max(heldSize, end)
    return true
  }
  /** The one-step commit of held bytes; `undefined` when the local store cannot do it. */
  const reset = async (o?: AbortOptions): Promise<Committed | undefined> => {
    if (held === undefined || heldSize === 0 || p.local.store.resetPayload === undefined) {
      return undefined
    }
    const data = held.subarray(0, heldSize)
    p.buffer.invalidateAndReset(pid)
    let done: 'created' | 'replaced' | false = false
    try {
      done = await p.local.store.resetPayload(pid, data, o)
    } finally {
      // After the change too: a read that raced it may have cached old bytes.
      p.buffer.invalidateAndReset(pid)
    }
    if (done === false) return undefined
    dirty.mark(pid)
    const generation = p.buffer.generation(pid)
    // The reset is durable locally by itself; a flush is still needed when the durability
    // asked for is remote. Otherwise the new content is not finalized (its block was just
    // written locally), which is what a flush would have found, after a query.
    const result = flushUploads(p)
      ? await flushPayload(p, pid, heldSize, o, false)
      : { finalized: false }
    // The new content is at hand: no need to read it back for the read buffer.
    if (p.buffer.enabled && heldSize <= p.buffer.maxBytes) {
      p.buffer.put(pid, 0, data, { generation, adopt: true })
    }
    if (result.finalized) dirty.forget(pid)
    return { ...result, size: heldSize, created: done === 'created' }
  }
  return {
    payloadId: pid,
    writeAt: (data, offset, o) =>
      e.run('writeAt', o, async () => {
        open('writeAt')
        checkOffset(offset)
        checkWriteEnd(pid, offset, data.length)
        if (data.length === 0 || hold(data, offset)) return
        await stage(o)
        await writePayload(p, dirty, staging(), data, offset, o)
      }),
    commit: (o) =>
      e.run('commit', o, async () => {
        open('commit')
        state = 'committing'
        try {
          const quick = await reset(o)
          if (quick !== undefined) return quick
          await stage(o)
          // An empty body wrote nothing: the new content still exists, with size 0.
          const known = await p.local.store.getFileSize(staging(), o)
          if (known === undefined) await p.local.store.truncate(staging(), 0, o)
          const size = known ?? 0
          const created = (await p.local.store.getFileSize(pid, o)) === undefined
          return { ...(await renameFlushed(e, staging(), pid, size, o)), size, created }
        } catch (err) {
          // The staging payload goes; the target is as it was (or already replaced, when only
          // the final flush failed: its content is then the new one, durable locally).
          await discard().catch(() => {})
          throw err
        } finally {
          state = 'done'
          held = undefined
        }
      }),
    abort: () =>
      e.run('abort', undefined, async () => {
        if (state !== 'open') return
        state = 'done'
        await discard()
        held = undefined
      }),
  }
}
