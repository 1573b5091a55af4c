/**
 * Dirty write buffers (fs tier): a memory budget that writers wait on, never an error.
 * When the budget is used up a writer spills the oldest buffer it can lock to the medium.
 */
import type { AbortOptions } from '../../core/abort.js'
import { BlockSize } from '../../core/constants.js'
import { storePendingRow } from './dirty.js'
import { reserveDisk, settle } from './space.js'
import { type BlockEntry, type TierState, wakeMemoryWaiters } from './tier-state.js'

const MEMORY_POLL_MS = 50

/** Gives a block a zeroed buffer (the caller made room with {@link reserveMemory}). */
export function allocBuffer(s: TierState, e: BlockEntry): Buffer {
  // A reused buffer is zeroed (a sparse write must never expose another block's bytes), but
  // only where its last block had bytes: zeroing all 8 MiB cost 4 ms a block on a small VM
  // and made every page resident, for writes that are mostly a few KiB.
  const spare = s.spareBuffers.pop()
  const buf = spare?.buf.fill(0, 0, spare.dirtyBytes) ?? Buffer.alloc(BlockSize)
  s.counters.memUsed += BlockSize
  s.withBuffer.add(e)
  e.buf = buf
  return buf
}

/** Releases a block's buffer. */
export function freeBuffer(s: TierState, e: BlockEntry): void {
  if (e.buf === null) return
  // Past `dataSize` the buffer is all zeros (see BlockEntry.buf). Spares fill the unused part
  // of the memory budget: a fresh 8 MiB allocation costs a calloc and, through V8's external
  // memory accounting, a full garbage collection every few allocations.
  if (s.counters.memUsed + s.spareBuffers.length * BlockSize <= s.maxMemory) {
    s.spareBuffers.push({ buf: e.buf, dirtyBytes: e.dataSize })
  }
  e.buf = null
  s.withBuffer.delete(e)
  s.counters.memUsed -= BlockSize
  wakeMemoryWaiters(s)
}

/**
 * Forgets the block's local bytes (buffer and medium copy) once no row names them. Must hold
 * the block lock.
 */
export async function dropLocalBytes(s: TierState, e: BlockEntry): Promise<void> {
  freeBuffer(s, e)
  if (e.onMedium) {
    await s.medium.remove(e.payloadId, e.idx)
    settle(s, 0, -e.mediumSize)
  }
  e.onMedium = false
  e.mediumSize = 0
  e.dataSize = 0
  e.unsynced = false
  e.dirtyRow = undefined
  e.dirtyRowPending = false
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
  const growth = e.dataSize - e.mediumSize
  const reserved = await reserveDisk(s, growth, options)
  try {
    const data = buf.subarray(0, e.dataSize)
    // No copy yet: nothing old to protect, so no temporary file and rename are needed.
    if (!e.onMedium && s.medium.create !== undefined)
      await s.medium.create(e.payloadId, e.idx, data)
    else await s.medium.replace(e.payloadId, e.idx, data)
  } catch (err) {
    settle(s, reserved, 0)
    // A buffered block has no medium copy: remove what a failed write left behind, keep
    // the buffer (the bytes are still safe in memory) and report the failure.
    await s.medium.remove(e.payloadId, e.idx).catch(() => {})
    throw err
  }
  settle(s, reserved, growth)
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
  const release = victim?.lock.tryLock()
  if (victim === undefined || release === undefined) return false
  try {
    await spillLocked(s, victim, options)
  } finally {
    release()
    wakeMemoryWaiters(s)
  }
  return true
}

/**
 * Waits until one more buffer fits in the budget, spilling the oldest buffers of other
 * blocks (tryLock only, so a writer holding its own lock cannot deadlock). One buffer is
 * always allowed, so a budget below BlockSize still makes progress.
 */
export async function reserveMemory(
  s: TierState,
  self: BlockEntry,
  options?: AbortOptions,
): Promise<void> {
  for (;;) {
    const used = s.counters.memUsed
    if (used === 0 || used + BlockSize <= s.maxMemory) return
    if (await spillOldest(s, self, options)) continue
    // Every buffer is locked by a writer that is about to finish: wait for a release.
    await waitForRelease(s, MEMORY_POLL_MS)
    options?.signal?.throwIfAborted()
  }
}

/** Resolves at the next buffer or lock release, or after `ms` (never rejects). */
function waitForRelease(s: TierState, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      s.memoryWaiters.delete(done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    s.memoryWaiters.add(done)
  })
}
