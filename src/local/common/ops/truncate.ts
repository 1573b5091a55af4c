/**
 * Truncate and delete (POSIX): blocks past the new end are dropped with their copies and rows
 * (dropped remote references reported first), the boundary block's tail is zeroed (so growing
 * the payload again reads zeros there, never the old bytes).
 */
import type { AbortOptions } from '../../../core/abort.js'
import { BlockSize } from '../../../core/constants.js'
import { ensureDirty } from '../rows/dirty.js'
import { dropBlock, knownBlocks, purgeLeftovers } from '../rows/drop.js'
import { settle } from '../space/disk.js'
import { settleJournal } from '../state/journal-barrier.js'
import { withBlock, withPayload } from '../state/locks.js'
import { persistPayload } from '../state/payload-record.js'
import { getRow } from '../state/row-store.js'
import { changed, isResident, type PayloadState, type TierState } from '../state/tier-state.js'

/** Cuts the boundary block to `cut` bytes (its tail reads as zeros afterwards). */
async function cutBlock(
  s: TierState,
  p: PayloadState,
  idx: number,
  cut: number,
  options?: AbortOptions,
): Promise<void> {
  await withBlock(s, p, idx, async (e) => {
    const size = isResident(e)
      ? e.dataSize
      : ((await getRow(s.metadata, e.id, options))?.dataSize ?? 0)
    if (size <= cut) return
    await ensureDirty(s, e, undefined, options)
    // Past dataSize a buffer is already zeros: filling to its end would touch every page.
    if (e.buf !== null) e.buf.fill(0, cut, Math.max(cut, e.dataSize))
    else if (e.onMedium) {
      await s.medium.truncate(p.id, idx, cut)
      settle(s, 0, cut - e.mediumSize)
      e.mediumSize = cut
      e.unsynced = true
      e.writeGen++
    }
    e.dataSize = Math.min(e.dataSize, cut)
    e.lastWrite = s.now()
  })
}

/** Sets a payload's size (already validated). */
export function truncate(
  s: TierState,
  payloadId: string,
  size: number,
  options?: AbortOptions,
): Promise<void> {
  return withPayload(
    s,
    payloadId,
    'exclusive',
    purgeLeftovers,
    async (p) => {
      if (p === undefined) return
      await settleJournal(s, p.id)
      // Stale from here: a truncate failing part-way has dropped blocks already.
      if (p.record === 'current') p.record = 'stale'
      const keep = Math.ceil(size / BlockSize)
      for (const idx of await knownBlocks(s, p, options)) {
        if (idx >= keep) await dropBlock(s, p, idx, options)
      }
      const cut = size % BlockSize
      if (cut > 0) await cutBlock(s, p, keep - 1, cut, options)
      changed(s, p, size)
      // A payload never flushed gets its record from its first flush, once its bytes are
      // durable: storing it here would make a kill before that flush leave the payload
      // existing with holes where its unflushed bytes were.
      if (p.record !== 'none') await persistPayload(s, p, options)
    },
    options,
  )
}

/** Removes a payload: copies, rows (references reported first) and its record. */
export function deletePayload(
  s: TierState,
  payloadId: string,
  options?: AbortOptions,
): Promise<void> {
  return withPayload(
    s,
    payloadId,
    'exclusive',
    purgeLeftovers,
    async (p) => {
      if (p === undefined) return
      await settleJournal(s, p.id)
      // The record goes first: it is the commit point. A crash after it leaves only
      // leftovers of a payload that no longer exists, which recovery and re-creation purge;
      // a crash before it leaves the payload whole.
      await s.metadata.deletePayload(p.id, options)
      try {
        for (const idx of await knownBlocks(s, p, options)) await dropBlock(s, p, idx, options)
        await s.medium.removePayload(p.id)
      } finally {
        p.gone = true
        s.payloads.delete(p.id)
      }
    },
    options,
  )
}
