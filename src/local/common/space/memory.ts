/**
 * Dirty write buffers (fs tier): a memory budget that writers wait on, never an error.
 * When the budget is used up a writer spills the oldest buffer it can lock to the medium.
 */
import type { AbortOptions } from '../../../core/abort.js'
import { BlockSize } from '../../../core/constants.js'
import { storePendingRow } from '../rows/dirty.js'
import { reserveDisk, settle } from './disk.js'
import { type BlockEntry, type TierState, wakeMemoryWaiters } from '../state/tier-state.js'
import { writeBehind } from '../state/write-behind.js'

const MEMORY_POLL_MS = 50

/**
 * Write buffer sizes. A buffer is as small as the block's bytes allow, so a 4 KiB payload holds
 * 64 KiB of the memory budget, not 8 MiB: with whole-block buffers a 256 MiB budget held 32
 * small payloads, and 2,000 of them written before one `flushAll` spilled 1,968 to files one
 * by one while being written (measured: flushAll at 0.46x of flushing each payload as it was
 * written). Three sizes, not a doubling: a growing block is copied at most twice (64 KiB, then
 * 1 MiB), and a large write goes to a whole block at once (see {@link bufferSizeFor}).
 */
const BufferSizes = [64 * 1024, 1024 * 1024, BlockSize] as const

/** A write at least this long is a streaming writer's: its block gets a whole buffer at once. */
const StreamingWriteBytes = 256 * 1024

/**
 * The buffer size for a block whose bytes must reach `end` (exclusive, within the block),
 * after a write of `length` bytes: the smallest size that holds `end`, or a whole block for a
 * large write (a sequential writer of 1 MiB pieces would otherwise copy 1 MiB of every block
 * from a 1 MiB buffer into an 8 MiB one).
 */
function bufferSizeFor(end: number, length: number): number {
  if (length >= StreamingWriteBytes) return BlockSize
  for (const size of BufferSizes) if (end <= size) return size
  return BlockSize
}

/** A zeroed buffer of `size` bytes: a spare of that size when one is kept, else a new one. */
function takeBuffer(s: TierState, size: number): Buffer {
  // A reused buffer is zeroed (a sparse write must never expose another block's bytes), but
  // only where its last block had bytes: zeroing all 8 MiB cost 4 ms a block on a small VM
  // and made every page resident, for writes that are mostly a few KiB.
  const spare = s.spareBuffers.get(size)?.pop()
  if (spare === undefined) return Buffer.alloc(size)
  s.spareBytes -= size
  return spare.buf.fill(0, 0, spare.dirtyBytes)
}

/** Keeps a freed buffer whose bytes past `dirtyBytes` are zero, if the budget has room. */
function keepSpare(s: TierState, buf: Buffer, dirtyBytes: number): void {
  // Spares fill the unused part of the memory budget: a fresh 8 MiB allocation costs a
  // calloc and, through V8's external memory accounting, a full garbage collection every few
  // allocations.
  if (s.counters.memUsed + s.spareBytes + buf.length > s.maxMemory) return
  let list = s.spareBuffers.get(buf.length)
  if (list === undefined) {
    list = []
    s.spareBuffers.set(buf.length, list)
  }
  list.push({ buf, dirtyBytes })
  s.spareBytes += buf.length
}

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
      keepSpare(s, buf, e.dataSize)
      wakeMemoryWaiters(s)
      return
    }
  }
  s.counters.memUsed += size - (old?.length ?? 0)
  e.buf = buf
  if (old === null) {
    s.withBuffer.add(e)
  } else {
    buf.set(old.subarray(0, e.dataSize))
    keepSpare(s, old, e.dataSize)
  }
}

/** Releases a block's buffer. */
export function freeBuffer(s: TierState, e: BlockEntry): void {
  const buf = e.buf
  if (buf === null) return
  e.buf = null
  s.withBuffer.delete(e)
  s.counters.memUsed -= buf.length
  // Past `dataSize` the buffer is all zeros (see BlockEntry.buf).
  keepSpare(s, buf, e.dataSize)
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
    writeBehind(s, victim)
  } finally {
    release()
    wakeMemoryWaiters(s)
  }
  return true
}

/**
 * Waits until `bytes` more buffer memory fits in the budget, spilling the oldest buffers of
 * other blocks (tryLock only, so a writer holding its own lock cannot deadlock). A block whose
 * buffer is the only one in use may always have it (or grow it), so a budget below BlockSize
 * still makes progress.
 */
async function reserveMemory(
  s: TierState,
  self: BlockEntry,
  bytes: number,
  options?: AbortOptions,
): Promise<void> {
  for (;;) {
    const used = s.counters.memUsed
    if (used === (self.buf?.length ?? 0) || used + bytes <= s.maxMemory) return
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
