/**
 * Compaction of packs (docs/design-packs.md): a block whose copy is a record in a mostly dead
 * pack gets a fresh record in the current journal generation, and its row is moved to it by
 * compare-and-set; once no row names the old pack's records, a checkpoint deletes it. A cached
 * copy of a Remote block is simply dropped instead (the remote has the block).
 */
import { isRemote } from '../../core/block.js'
import { withPayload } from './payloads.js'
import { readMedium } from './read.js'
import { casRow, getRow } from './rows.js'
import { evictLocked } from './space.js'
import { type TierState, whileLocked } from './tier-state.js'

/**
 * Moves block `idx` of `payloadId` off the record at `from` (its current copy); false when it
 * no longer is (written, moved or dropped since) or the payload has changes not flushed yet
 * (a record carries the payload's stored size, so it waits for the flush).
 */
export async function repackBlock(
  s: TierState,
  payloadId: string,
  idx: number,
  from: string,
): Promise<boolean> {
  const journal = s.medium.journal
  if (journal === undefined || s.medium.takeRecord === undefined) return false
  return withPayload(s, payloadId, 'shared', false, async (p) => {
    const e = p?.blocks.get(idx)
    if (p === undefined || e === undefined || p.record !== 'current') return false
    const release = await p.flushLock.lock()
    try {
      const moved = await whileLocked(e, async () => {
        if (s.medium.localPath(payloadId, idx) !== from || e.buf !== null) return false
        if (e.dirtyRow !== undefined) return false
        const row = await getRow(s.metadata, e.id)
        if (row === undefined || row.localPath !== from) return false
        if (isRemote(row)) return (await evictLocked(s, e)) > 0
        const data = new Uint8Array(e.dataSize)
        if (await readMedium(s, e, data, 0, 0, e.dataSize)) return false
        const record = {
          payloadId,
          blockIdx: idx,
          data,
          payloadSize: p.size,
          modifiedAt: p.modifiedAt,
        }
        const receipt = await journal.append([record], { asCopies: true })
        const place = receipt.placeOf?.(record)
        if (place === undefined)
          throw new Error('unreachable: a record appended as a copy has a place')
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
      })
      return moved === true
    } finally {
      release()
    }
  })
}
