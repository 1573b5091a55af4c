/**
 * Staged whole-block overwrites. A write covering the whole of a block whose bytes only the
 * remote has, while the remote cannot serve them (writes never wait on an outage), commits a
 * Dirty row that drops the remote reference before any byte is local. So the new bytes are
 * made durable aside first and the row names that staged file: a kill after the commit finds
 * them (fs recovery promotes the file), never a row with no bytes anywhere where acknowledged
 * data was.
 */
import type { AbortOptions } from '../../../core/abort.js'
import { BlockState, type FileBlock } from '../../../core/block.js'
import { settle, withReservation } from '../space/disk.js'
import { getRow } from '../state/row-store.js'
import type { BlockEntry, TierState } from '../state/tier-state.js'

/** Bytes of a whole-block overwrite written aside before the Dirty commit. */
export interface Staged {
  readonly path: string
  readonly data: Uint8Array
  readonly reserved: number
}

/**
 * Writes `data` (the block's whole new content) aside, durably. `undefined` on a medium that
 * does not survive a kill, where there is nothing to protect.
 */
export async function stageOverwrite(
  s: TierState,
  e: BlockEntry,
  data: Uint8Array,
  options?: AbortOptions,
): Promise<Staged | undefined> {
  if (!s.medium.durable || s.medium.stage === undefined) return undefined
  const medium = s.medium
  // The reservation stands until the commit lands the file (landStaged) or gives it up.
  return withReservation(
    s,
    data.length,
    async (reserved) => ({
      path: await medium.stage!(e.payloadId, e.idx, data, options),
      data,
      reserved,
    }),
    { ...options, keep: true },
  )
}

/** Moves committed staged bytes into place: the block now holds the whole write. */
export async function landStaged(s: TierState, e: BlockEntry, staged: Staged): Promise<void> {
  try {
    await s.medium.commitStaged?.(e.payloadId, e.idx)
  } catch (err) {
    // The row is Dirty and names the staged file, which still holds the bytes: a restart
    // promotes it. This process reports the write failed.
    settle(s, staged.reserved, 0)
    throw err
  }
  settle(s, staged.reserved, staged.data.length)
  e.onMedium = true
  e.mediumSize = staged.data.length
  // Data and entry of the staged file were fsynced; the rename's entry is synced by the flush.
  e.unsynced = true
  e.writeGen++
}

/**
 * After the Dirty commit reported a failure: re-reads the row. Returns it when the commit did
 * happen (the row is Dirty and names the staged file); otherwise removes the staged file, or
 * leaves it to recovery when the row cannot be read, and returns `undefined`.
 */
export async function settleFailedCommit(
  s: TierState,
  e: BlockEntry,
  staged: Staged,
): Promise<FileBlock | undefined> {
  let row: FileBlock | undefined
  try {
    row = await getRow(s.metadata, e.id)
  } catch {
    // Unknown outcome: the file stays, and recovery decides by the row it finds.
    settle(s, staged.reserved, 0)
    return undefined
  }
  if (row?.state === BlockState.Dirty && row.localPath === staged.path) return row
  settle(s, staged.reserved, 0)
  await s.medium.discardStaged?.(e.payloadId, e.idx)
  return undefined
}
