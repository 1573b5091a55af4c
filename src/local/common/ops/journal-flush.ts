/**
 * The journaled flush: small blocks are made durable by one record each in the medium's flush
 * journal (one fdatasync shared by every concurrent flusher) instead of an fsync of every block
 * file, its directory and its parents. The files are still written, unsynced; a checkpoint makes
 * them durable later and retires the records.
 */
import type { AbortOptions } from '../../../core/abort.js'
import { spillLocked } from '../rows/spill.js'
import { withReservation } from '../space/disk.js'
import { readMedium } from '../space/medium-read.js'
import { freeBuffer } from '../space/memory.js'
import type { BlockJournal, JournaledBlock, JournalReceipt } from '../state/block-medium.js'
import { lockBlock, whileLocked } from '../state/locks.js'
import {
  type BlockEntry,
  isResident,
  type PayloadState,
  type TierState,
} from '../state/tier-state.js'

/**
 * Largest block a flush journals. A journaled block's bytes are written twice (record and
 * file), which costs less than the fsyncs it saves only while blocks are small.
 */
export const JOURNAL_MAX_BLOCK = 1024 * 1024
/** Largest total a single journaled flush may append. */
export const JOURNAL_MAX_FLUSH = 4 * 1024 * 1024

/**
 * The block's access sequence when its record was copied: a write since then (or any access,
 * which is rarer and only costs the file path) means the record no longer holds the buffer.
 */
const copiedAt = new WeakMap<JournaledBlock, number>()

/** True when the entry has something a flush must make durable. */
export function needsFlush(e: BlockEntry): boolean {
  return !e.gone && (e.dirtyRow !== undefined || e.buf !== null || e.unsynced)
}

/**
 * Records of the blocks a flush must make durable (their whole valid content, copied under
 * each block's lock), or `undefined` when one of them is too large to journal.
 */
export async function journalRecords(
  s: TierState,
  p: PayloadState,
  entries: readonly BlockEntry[],
  options?: AbortOptions,
): Promise<JournaledBlock[] | undefined> {
  const records: JournaledBlock[] = []
  let total = 0
  for (const e of entries) {
    if (!needsFlush(e)) continue
    if (e.dataSize > JOURNAL_MAX_BLOCK) return undefined
    total += e.dataSize
    if (total > JOURNAL_MAX_FLUSH) return undefined
  }
  for (const e of entries) {
    const release = await lockBlock(s, e)
    try {
      // A block without bytes (written, then cut away) needs only its row dropped.
      if (!needsFlush(e) || !isResident(e)) continue
      if (e.dataSize > JOURNAL_MAX_BLOCK) return undefined
      const data = new Uint8Array(e.dataSize)
      if (e.buf !== null) data.set(e.buf.subarray(0, e.dataSize))
      else if (await readMedium(s, e, data, 0, 0, e.dataSize, options)) {
        // The copy was damaged and dropped: let the file path report it as it always has.
        return undefined
      }
      const record = {
        payloadId: e.payloadId,
        blockIdx: e.idx,
        data,
        payloadSize: p.size,
        modifiedAt: p.modifiedAt,
      }
      copiedAt.set(record, e.accessSeq)
      records.push(record)
    } finally {
      release()
    }
  }
  return records
}

/**
 * Writes the journaled blocks' buffers to their files (no fsync: the records cover them until
 * a checkpoint) and waits for the records to be durable. Blocks whose copy was not written
 * again meanwhile count as synced: the checkpoint that retires their records syncs the files.
 * The receipt says whether that checkpoint is still to come once the caller has committed
 * (see {@link makeUncoveredDurable}).
 */
export async function journalBlocks(
  s: TierState,
  journal: BlockJournal,
  entries: readonly BlockEntry[],
  records: readonly JournaledBlock[],
  options?: AbortOptions,
): Promise<JournalReceipt> {
  if (s.medium.recordCopies === true) return recordsAsCopies(s, journal, entries, records, options)
  const journaled = new Set(records.map((r) => r.blockIdx))
  const generations = new Map<BlockEntry, number>()
  const spill = async (): Promise<void> => {
    for (const e of entries) {
      if (!journaled.has(e.idx)) continue
      await whileLocked(s, e, async () => {
        await spillLocked(s, e, options, true)
        generations.set(e, e.writeGen)
      })
    }
  }
  // Side by side: the files are not synced and the replay rewrites them from the records, so
  // nothing orders the two, and the file writes leave the flush's critical path.
  const [, receipt] = await Promise.all([spill(), journal.append(records)])
  for (const [e, gen] of generations) if (e.writeGen === gen) e.unsynced = false
  return receipt
}

/**
 * As {@link journalBlocks} on a medium that keeps records as blocks' copies: no file is
 * written. Once the records are durable each block whose buffer still holds what its record
 * does takes the record as its copy (the flush then commits the row naming it) and frees the
 * buffer; a block written since its record was copied gives the record back and spills its
 * buffer to its file as before (the record still covers the flushed bytes until a checkpoint).
 */
async function recordsAsCopies(
  s: TierState,
  journal: BlockJournal,
  entries: readonly BlockEntry[],
  records: readonly JournaledBlock[],
  options?: AbortOptions,
): Promise<JournalReceipt> {
  const receipt = await journal.append(records, { asCopies: true })
  const byIdx = new Map(entries.map((e) => [e.idx, e]))
  const places = records.map((r) => receipt.placeOf?.(r))
  try {
    for (const [i, r] of records.entries()) {
      const place = places[i]
      const e = byIdx.get(r.blockIdx)
      if (place === undefined || e === undefined) {
        throw new Error(`unreachable: no place for ${r.blockIdx}`)
      }
      await whileLocked(s, e, async () => {
        if (e.accessSeq !== copiedAt.get(r) || s.medium.takeRecord === undefined) {
          await spillLocked(s, e, options, true)
          return
        }
        await withReservation(
          s,
          e.dataSize - e.mediumSize,
          async () => s.medium.takeRecord?.(e.payloadId, e.idx, place, e.onMedium),
          options,
        )
        e.mediumSize = e.dataSize
        e.onMedium = true
        e.unsynced = false
        e.writeGen++
        freeBuffer(s, e)
      })
    }
  } finally {
    // Taken (the medium serves it, and the row the flush commits will name it) or not, and
    // whatever failed: every hold ends.
    for (const place of places) if (place !== undefined) journal.releasePlace?.(place)
  }
  return receipt
}

/**
 * Called by a journaled flush after its files are written and its rows committed: when a
 * checkpoint started retiring the flush's records before that (its syncs may have run before
 * the writes and commits), the flush makes its blocks' files and the metadata store durable
 * itself. Otherwise a power loss right after the flush returned would find the records retired
 * and neither the files nor the commits on disk. Rare: it takes a checkpoint (every 5 s, or a
 * barrier of another payload) landing in the few milliseconds between append and commit.
 */
export async function makeUncoveredDurable(
  s: TierState,
  receipt: JournalReceipt,
  payloadId: string,
  records: readonly JournaledBlock[],
  options?: AbortOptions,
): Promise<void> {
  if (receipt.covered()) return
  await s.medium.sync(
    payloadId,
    records.map((r) => r.blockIdx),
    options,
  )
  await s.metadata.sync?.()
}
