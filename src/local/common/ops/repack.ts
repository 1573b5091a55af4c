/**
 * Compaction of packs (docs/design-packs.md): a block whose copy is a record in a mostly dead
 * pack gets a fresh record in the current journal generation, and its row is moved to it by
 * compare-and-set; once no row names the old pack's records, a checkpoint deletes it. A cached
 * copy of a Remote block is simply dropped instead (the remote has the block).
 */
import { isRemote } from '../../../core/block.js'
import { evictLocked } from '../space/disk.js'
import { readMedium } from '../space/medium-read.js'
import {
  lockBlock,
  lockFlush,
  tryFlushLock,
  tryLockBlock,
  tryPayloadRead,
  withPayload,
} from '../state/locks.js'
import { casRow, getRow } from '../state/row-store.js'
import type { PayloadState, TierState } from '../state/tier-state.js'

/** How {@link repackBlock} takes its locks. */
export interface RepackOptions {
  /**
   * False: skip a block whose payload, flush or block lock is held instead of waiting. A
   * reclaim started by a writer waiting for space runs so: that writer may hold those locks.
   */
  readonly wait?: boolean | undefined
}

/**
 * Moves block `idx` of `payloadId` off the record at `from` (its current copy); false when it
 * no longer is (written, moved or dropped since), the payload has changes not flushed yet (a
 * record carries the payload's stored size, so it waits for the flush), or a lock it would
 * wait for is held and `wait` is false.
 */
export async function repackBlock(
  s: TierState,
  payloadId: string,
  idx: number,
  from: string,
  options: RepackOptions = {},
): Promise<boolean> {
  if (s.medium.journal === undefined || s.medium.takeRecord === undefined) return false
  const wait = options.wait ?? true
  const loaded = wait ? undefined : s.payloads.get(payloadId)
  if (loaded === undefined) {
    // A payload not loaded yet has no lock anyone holds.
    return withPayload(s, payloadId, 'shared', false, async (p) =>
      p === undefined ? false : moveBlock(s, p, idx, from, wait),
    )
  }
  const release = tryPayloadRead(loaded)
  if (release === undefined) return false
  try {
    if (loaded.gone || loaded.broken !== undefined) return false
    return await moveBlock(s, loaded, idx, from, false)
  } finally {
    release()
  }
}

async function moveBlock(
  s: TierState,
  p: PayloadState,
  idx: number,
  from: string,
  wait: boolean,
): Promise<boolean> {
  const journal = s.medium.journal
  const e = p.blocks.get(idx)
  if (journal === undefined || e === undefined || p.record !== 'current') return false
  const releaseFlush = wait ? await lockFlush(p) : tryFlushLock(p)
  if (releaseFlush === undefined) return false
  const releaseBlock = wait ? await lockBlock(s, e) : tryLockBlock(s, e)
  try {
    if (releaseBlock === undefined || e.gone) return false
    const payloadId = p.id
    if (s.medium.localPath(payloadId, idx) !== from || e.buf !== null) return false
    if (e.dirtyRow !== undefined) return false
    const row = await getRow(s.metadata, e.id)
    if (row === undefined || row.localPath !== from) return false
    if (isRemote(row)) return (await evictLocked(s, e)) > 0
    const data = new Uint8Array(e.dataSize)
    if (await readMedium(s, e, data, 0, 0, e.dataSize)) return false
    const record = { payloadId, blockIdx: idx, data, payloadSize: p.size, modifiedAt: p.modifiedAt }
    const receipt = await journal.append([record], { asCopies: true })
    const place = receipt.placeOf?.(record)
    if (place === undefined) throw new Error('unreachable: a record appended as a copy has a place')
    try {
      const { stored } = await casRow(s, e.id, (r) =>
        r?.localPath === from ? { ...r, localPath: place } : undefined,
      )
      if (stored === undefined) return false
      await s.medium.takeRecord?.(payloadId, idx, place, false)
      return true
    } finally {
      journal.releasePlace?.(place)
    }
  } finally {
    releaseBlock?.()
    releaseFlush()
  }
}
