/**
 * Reset: a payload's whole content replaced by a few bytes in one durable step, the small
 * replacement's fast path. The new content is appended to the flush journal as one reset
 * record; once that record is durable the replacement is committed (recovery gives the new
 * content from then on, whatever else survives), and only then are the block file, the rows
 * and the payload record changed, without waiting for syncs of their own (the checkpoint that
 * retires the record makes them durable first, see journal-flush.ts).
 *
 * The path it replaces stages the bytes in a hidden payload, fsyncs its file, links it under
 * the target's name, fsyncs the directory, commits the rename durably and fsyncs the directory
 * again: four syncs in series for a 4 KiB PUT, where this costs the journal's one, shared with
 * every concurrent flush.
 *
 * Nothing of the old content is touched before the record is durable, so a failure or a kill
 * before that leaves the payload as it was. A failure after it (the record stands, the live
 * state is half changed) marks the payload broken: its operations fail until the store is
 * reopened, and no checkpoint may retire the record meanwhile, so the reopen replays it.
 */
import type { AbortOptions } from '../../../core/abort.js'
import { BlockState, newFileBlock } from '../../../core/block.js'
import { BlockStoreError } from '../../../core/errors.js'
import { ContentHash } from '../../../core/hash.js'
import { dropBlock, knownBlocks, purgeLeftovers } from '../rows/drop.js'
import { settle, withReservation } from '../space/disk.js'
import { freeBuffer } from '../space/memory.js'
import type { BlockJournal } from '../state/block-medium.js'
import { withBlock, withFlushLock, withPayload } from '../state/locks.js'
import { persistPayload } from '../state/payload-record.js'
import { casRow, reportDropped } from '../state/row-store.js'
import { changed, type PayloadState, type TierState, touch } from '../state/tier-state.js'
import { JOURNAL_MAX_BLOCK, makeUncoveredDurable } from './journal-flush.js'

/** Largest content a reset takes: one journal record. */
export const RESET_MAX_BYTES = JOURNAL_MAX_BLOCK

/**
 * Replaces the whole content of `payloadId` (created when absent) with `data`, durably, in one
 * journal record: `'created'` when the payload existed nowhere before, else `'replaced'`.
 * Returns false, having changed nothing, when this tier cannot (no journal, or `data` is empty
 * or larger than {@link RESET_MAX_BYTES}): the caller takes the staged path.
 */
export async function resetPayload(
  s: TierState,
  payloadId: string,
  data: Uint8Array,
  options?: AbortOptions,
): Promise<'created' | 'replaced' | false> {
  const journal = s.medium.journal
  if (journal === undefined || data.length === 0 || data.length > RESET_MAX_BYTES) return false
  return withPayload(
    s,
    payloadId,
    'exclusive',
    purgeLeftovers,
    async (p, created) => {
      if (p === undefined) throw new Error(`unreachable: payload ${payloadId} not created`)
      // Room for the new file before anything is committed: running out of disk after the
      // record would break the payload, before it only fails the call. The reservation adds
      // nothing when it settles: applyReset accounts the bytes it lands.
      return withFlushLock(p, () =>
        withReservation(s, data.length, () => commitReset(s, journal, p, created, data), {
          ...options,
          added: 0,
        }),
      )
    },
    options,
  )
}

/**
 * Appends the reset record (the commit point) and applies it. Past the append a failure breaks
 * the payload until a reopen replays the record: half a reset applied must never be served.
 */
async function commitReset(
  s: TierState,
  journal: BlockJournal,
  p: PayloadState,
  created: boolean,
  data: Uint8Array,
): Promise<'created' | 'replaced'> {
  const payloadId = p.id
  const modifiedAt = s.now()
  const record = { payloadId, blockIdx: 0, data, payloadSize: data.length, modifiedAt }
  const resetRecord = { ...record, reset: true }
  // On a medium that keeps records as copies the record is the block's copy: no file.
  const copies = s.medium.recordCopies === true && s.medium.takeRecord !== undefined
  // Set first: a failed append may still have reached the file.
  p.resetJournaled = true
  const receipt = await journal.append([resetRecord], { asCopies: copies })
  try {
    // Past the commit point: an abort no longer applies (half a change would break it).
    const place = receipt.placeOf?.(resetRecord)
    try {
      await applyReset(s, p, created, data, modifiedAt, place)
    } finally {
      // Taken or not, the hold ends: the medium serves it and the row names it now.
      if (place !== undefined) journal.releasePlace?.(place)
    }
    await makeUncoveredDurable(s, receipt, payloadId, [record])
  } catch (err) {
    s.brokenResets++
    p.broken = new BlockStoreError(
      'BS_UNAVAILABLE',
      `replacement of ${payloadId} is committed but could not be applied; reopen the store to finish it`,
      { payloadId, op: 'replace', cause: err },
    )
    throw p.broken
  }
  return created ? 'created' : 'replaced'
}

/**
 * The live side of a committed reset: every block but the first dropped, the first holding
 * `data` (file written in place: the record rewrites it after a kill), its row Local with no
 * remote key, the payload record stored. Commits do not wait for syncs: the record covers
 * them until its checkpoint, which syncs the metadata store first.
 */
async function applyReset(
  s: TierState,
  p: PayloadState,
  created: boolean,
  data: Uint8Array,
  modifiedAt: number,
  place: string | undefined,
  options?: AbortOptions,
): Promise<void> {
  const lazily = { ...options, deferSync: true }
  // A payload created by this call had its leftover rows purged just before: its blocks are
  // its entries, and listing its rows again would be a query per new payload for nothing.
  const idxs = created ? [...p.blocks.keys()] : await knownBlocks(s, p, options)
  for (const idx of idxs) {
    if (idx > 0) await dropBlock(s, p, idx, options)
  }
  await withBlock(s, p, 0, async (e) => {
    freeBuffer(s, e)
    const old = e.onMedium ? e.mediumSize : 0
    if (place !== undefined && s.medium.takeRecord !== undefined) {
      await s.medium.takeRecord(p.id, 0, place, e.onMedium)
    } else if (!e.onMedium && s.medium.create !== undefined) {
      // Created empty first: a stray file would lend its tail to the block once recovery
      // takes the file's size for the block's (the open truncates it, no extra call).
      await s.medium.create(p.id, 0, data)
    } else {
      await s.medium.write(p.id, 0, data, 0)
      if (!e.onMedium || old > data.length) await s.medium.truncate(p.id, 0, data.length)
    }
    // Counted as used here; the caller gives back the reservation made before the record.
    settle(s, 0, data.length - old)
    e.onMedium = true
    e.mediumSize = data.length
    e.dataSize = data.length
    e.writeGen++
    // The record stands for the file until the checkpoint that retires it syncs the file.
    e.unsynced = false
    e.dirtyRow = undefined
    e.dirtyRowPending = false
    touch(s, e)
    e.lastWrite = e.lastAccess
    const localPath = s.medium.localPath(p.id, 0)
    const { previous } = await casRow(
      s,
      e.id,
      (row) => ({
        ...(row ?? newFileBlock(e.id, localPath)),
        state: BlockState.Local,
        localPath,
        dataSize: data.length,
        hash: ContentHash.ZERO,
        blockStoreKey: '',
        chunkRoot: undefined,
        lastAccess: s.now(),
      }),
      lazily,
      // A created payload has no row yet: try the insert without reading first (a wrong
      // guess only costs a failed compare-and-set and a read).
      created ? { row: undefined } : undefined,
    )
    await reportDropped(s, previous)
  })
  changed(s, p, data.length)
  p.modifiedAt = modifiedAt
  await persistPayload(s, p, lazily)
}
