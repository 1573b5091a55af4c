/**
 * Write buffers meeting the medium: a buffer grown for a write (waiting for room in the memory
 * budget, spilling other blocks' buffers to make it), and a buffer spilled, which stores the
 * block's pending Dirty row first so no file on the medium lacks a row while the tier runs.
 */
import type { AbortOptions } from '../../../core/abort.js'
import { withReservation } from '../space/disk.js'
import {
  bufferSizeFor,
  freeBuffer,
  installBuffer,
  MEMORY_POLL_MS,
  memoryFits,
  returnBuffer,
  takeBuffer,
  waitForRelease,
} from '../space/memory.js'
import { tryLockBlock } from '../state/locks.js'
import type { BlockEntry, TierState } from '../state/tier-state.js'
import { writeBehind } from '../state/write-behind.js'
import { storePendingRow } from './dirty.js'

/**
 * Makes the block's buffer hold bytes up to `end` for a write of `length` bytes: a new buffer
 * when the block is buffered and has none, a larger one (its bytes moved) when `end` is past
 * the current one; nothing otherwise (a block on the medium is written there). Waits for room
 * in the budget first (see {@link reserveMemory}). Must hold the block lock.
 */
export async function ensureBuffer(
  s: TierState,
  e: BlockEntry,
  end: number,
  length: number,
  options?: AbortOptions,
): Promise<void> {
  const old = e.buf
  // A block whose copy is a record (a pack is never written) takes its bytes into a buffer:
  // written in place they would first need a file of their own, an inode per overwrite.
  const fromRecord = old === null && e.onMedium && s.medium.hasRecord?.(e.payloadId, e.idx)
  if (old === null ? (e.onMedium && !fromRecord) || !s.buffered : end <= old.length) return
  const size = bufferSizeFor(Math.max(end, fromRecord ? e.dataSize : 0), length)
  await reserveMemory(s, e, size - (old?.length ?? 0), options)
  const buf = takeBuffer(s, size)
  if (fromRecord) {
    const got = await s.medium.read(e.payloadId, e.idx, buf, 0, 0, e.dataSize)
    if (got < e.dataSize) {
      // Damaged behind our back: the write goes to the medium, which reports it.
      returnBuffer(s, buf, e.dataSize)
      return
    }
  }
  installBuffer(s, e, buf)
}

/**
 * Writes a block's buffer to the medium and frees it (no fsync; the row stays Dirty).
 * Must hold the block lock.
 * @throws {BlockStoreError} BS_STORAGE_FULL when the disk cap leaves no room.
 */
export async function spillLocked(
  s: TierState,
  e: BlockEntry,
  options?: AbortOptions,
  journaled = false,
): Promise<void> {
  const buf = e.buf
  if (buf === null) return
  // A journaled flush commits the row itself once its record is durable; until then a file
  // without a row is, to recovery, the unacknowledged leftover it is.
  if (!journaled) await storePendingRow(s, e, options)
  const data = buf.subarray(0, e.dataSize)
  await withReservation(
    s,
    e.dataSize - e.mediumSize,
    async () => {
      // No copy yet: nothing old to protect, so no temporary file and rename are needed.
      if (!e.onMedium && s.medium.create !== undefined) {
        await s.medium.create(e.payloadId, e.idx, data)
      } else await s.medium.replace(e.payloadId, e.idx, data)
    },
    {
      ...options,
      // A buffered block has no medium copy: remove what a failed write left behind, keep
      // the buffer (the bytes are still safe in memory) and report the failure.
      undo: () => s.medium.remove(e.payloadId, e.idx).catch(() => {}),
    },
  )
  e.mediumSize = e.dataSize
  e.onMedium = true
  e.unsynced = true
  e.writeGen++
  freeBuffer(s, e)
}

/** The buffered entry written least recently whose lock is free (never `self`). */
function spillCandidate(s: TierState, self: BlockEntry | undefined): BlockEntry | undefined {
  let best: BlockEntry | undefined
  for (const e of s.withBuffer) {
    if (e === self || e.lock.locked) continue
    if (best === undefined || e.lastWrite < best.lastWrite) best = e
  }
  return best
}

/** Spills one buffer other than `self`; false when none could be locked. */
export async function spillOldest(
  s: TierState,
  self: BlockEntry | undefined,
  options?: AbortOptions,
): Promise<boolean> {
  const victim = spillCandidate(s, self)
  const release = victim === undefined ? undefined : tryLockBlock(s, victim)
  if (victim === undefined || release === undefined) return false
  try {
    await spillLocked(s, victim, options)
    writeBehind(s, victim)
  } finally {
    release()
  }
  return true
}

/**
 * Waits until `bytes` more buffer memory fits in the budget (see `memoryFits`), spilling the
 * oldest buffers of other blocks (tryLock only, so a writer holding its own lock cannot
 * deadlock).
 */
async function reserveMemory(
  s: TierState,
  self: BlockEntry,
  bytes: number,
  options?: AbortOptions,
): Promise<void> {
  for (;;) {
    if (memoryFits(s, self, bytes)) return
    if (await spillOldest(s, self, options)) continue
    // Every buffer is locked by a writer that is about to finish: wait for a release.
    await waitForRelease(s, MEMORY_POLL_MS)
    options?.signal?.throwIfAborted()
  }
}
