/**
 * Whole-block replacement (payload copies onto an existing destination): the block's new
 * content never depends on its old one, and one row commit switches from old to new, so a
 * kill leaves the block either as it was or as the copy, never between.
 * - Sharing a remote object: the commit is a Remote row. Local bytes are dropped after it; a
 *   kill in between leaves a file no row names, which recovery deletes (a Remote row keeps a
 *   cached copy only when it names the file).
 * - New bytes: staged durably first, then a Dirty row naming the staged file, then the rename
 *   into place (see staged.ts).
 * - A hole: the row's delete is the commit; a file left by a kill has no row and is deleted.
 */
import type { AbortOptions } from '../../../core/abort.js'
import { BlockState, type FileBlock, newFileBlock } from '../../../core/block.js'
import { BlockSize } from '../../../core/constants.js'
import { BlockStoreError } from '../../../core/errors.js'
import type { RemoteBlockRef } from '../../../core/local-store.js'
import { commitDirty } from '../rows/dirty.js'
import { dropLocalBytes } from '../rows/drop.js'
import { landStaged, stageOverwrite } from '../rows/staged.js'
import { settle, withReservation } from '../space/disk.js'
import { freeBuffer } from '../space/memory.js'
import { settleJournal } from '../state/journal-barrier.js'
import { onBlock } from '../state/locks.js'
import { casRow, deleteRow, reportDropped } from '../state/row-store.js'
import { type BlockEntry, changed, type TierState, touch } from '../state/tier-state.js'

/** Runs `fn` under the lock of a block of an existing payload, then extends the payload. */
function onBlockOf<T>(
  s: TierState,
  payloadId: string,
  idx: number,
  fn: (e: BlockEntry) => Promise<{ result: T; end: number }>,
  options?: AbortOptions,
): Promise<T> {
  const missing = (): never => {
    throw new BlockStoreError('BS_CONTENT_NOT_FOUND', `payload ${payloadId} does not exist`, {
      payloadId,
    })
  }
  return onBlock(
    s,
    payloadId,
    idx,
    missing,
    async (e, p) => {
      const { result, end } = await fn(e)
      touch(s, e)
      e.lastWrite = e.lastAccess
      changed(s, p, Math.max(p.size, idx * BlockSize + end))
      return result
    },
    options,
  )
}

/** See `LocalStore.shareRemoteBlock`. */
export function shareRemoteBlock(
  s: TierState,
  payloadId: string,
  idx: number,
  source: RemoteBlockRef,
  options?: AbortOptions,
): Promise<FileBlock> {
  return onBlockOf(
    s,
    payloadId,
    idx,
    async (e) => {
      await settleJournal(s, e.payloadId)
      const { stored, previous } = await casRow(
        s,
        e.id,
        (row) => ({
          ...(row ?? newFileBlock(e.id, '')),
          state: BlockState.Remote,
          hash: source.hash,
          blockStoreKey: source.blockStoreKey,
          dataSize: source.dataSize,
          // Always replaced with the source's: a root of the previous content must not stay.
          chunkRoot: source.chunkRoot,
          localPath: '',
          lastAccess: s.now(),
        }),
        options,
      )
      if (stored === undefined) throw new Error(`unreachable: no row stored for ${e.id}`)
      await dropLocalBytes(s, e)
      if (previous?.blockStoreKey !== source.blockStoreKey) await reportDropped(s, previous)
      return { result: stored, end: source.dataSize }
    },
    options,
  )
}

/** See `LocalStore.replaceBlock`. */
export function replaceBlock(
  s: TierState,
  payloadId: string,
  idx: number,
  data: Uint8Array,
  options?: AbortOptions,
): Promise<void> {
  return onBlockOf(
    s,
    payloadId,
    idx,
    async (e) => {
      await settleJournal(s, e.payloadId)
      if (data.length === 0) {
        const previous = await deleteRow(s, e.id, options)
        await dropLocalBytes(s, e)
        await reportDropped(s, previous)
      } else {
        await replaceBytes(s, e, data, options)
      }
      return { result: undefined, end: data.length }
    },
    options,
  )
}

async function replaceBytes(
  s: TierState,
  e: BlockEntry,
  data: Uint8Array,
  options?: AbortOptions,
): Promise<void> {
  const staged = await stageOverwrite(s, e, data, options)
  const { stored, previous } = await commitDirty(s, e, data.length, staged, options)
  // The old bytes are replaced: a buffer is dropped, a medium copy replaced.
  freeBuffer(s, e)
  const old = e.onMedium ? e.mediumSize : 0
  if (staged !== undefined) {
    await landStaged(s, e, staged)
    settle(s, 0, -old)
  } else {
    await withReservation(
      s,
      Math.max(0, data.length - old),
      () => s.medium.replace(e.payloadId, e.idx, data),
      { ...options, added: data.length - old },
    )
    e.onMedium = true
    e.mediumSize = data.length
    e.unsynced = true
    e.writeGen++
  }
  e.dataSize = data.length
  e.dirtyRow = stored
  e.dirtyRowPending = false
  await reportDropped(s, previous)
}
