/**
 * The memory budget of dirty write buffers (fs tier): buffer sizes, the spare buffers kept for
 * reuse, and the `memUsed` counter, which only this module moves. Writers wait on the budget,
 * never fail on it; making room (spilling) is rows/spill.ts.
 */
import { BlockSize } from '../../../core/constants.js'
import { type BlockEntry, type TierState, wakeMemoryWaiters } from '../state/tier-state.js'

/** How long a writer waiting for memory sleeps when no release wakes it first. */
export const MEMORY_POLL_MS = 50

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
export function bufferSizeFor(end: number, length: number): number {
  if (length >= StreamingWriteBytes) return BlockSize
  for (const size of BufferSizes) if (end <= size) return size
  return BlockSize
}

/** A zeroed buffer of `size` bytes: a spare of that size when one is kept, else a new one. */
export function takeBuffer(s: TierState, size: number): Buffer {
  // A reused buffer is zeroed (a sparse write must never expose another block's bytes), but
  // only where its last block had bytes: zeroing all 8 MiB cost 4 ms a block on a small VM
  // and made every page resident, for writes that are mostly a few KiB.
  const spare = s.spareBuffers.get(size)?.pop()
  if (spare === undefined) return Buffer.alloc(size)
  s.spareBytes -= size
  return spare.buf.fill(0, 0, spare.dirtyBytes)
}

/** Keeps a freed buffer whose bytes past `dirtyBytes` are zero, if the budget has room. */
export function keepSpare(s: TierState, buf: Buffer, dirtyBytes: number): void {
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

/** Resolves at the next buffer or lock release, or after `ms` (never rejects). */
export function waitForRelease(s: TierState, ms: number): Promise<void> {
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

/**
 * True when `bytes` more buffer memory fits in the budget for `self`. A block whose buffer is
 * the only one in use may always have it (or grow it), so a budget below BlockSize still makes
 * progress.
 */
export function memoryFits(s: TierState, self: BlockEntry, bytes: number): boolean {
  const used = s.counters.memUsed
  return used === (self.buf?.length ?? 0) || used + bytes <= s.maxMemory
}

/**
 * Makes `buf` the block's write buffer, counting it against the budget; a smaller buffer the
 * block had gives its valid bytes to `buf` and becomes a spare. Must hold the block lock.
 */
export function installBuffer(s: TierState, e: BlockEntry, buf: Buffer): void {
  const old = e.buf
  s.counters.memUsed += buf.length - (old?.length ?? 0)
  e.buf = buf
  if (old === null) {
    s.withBuffer.add(e)
  } else {
    buf.set(old.subarray(0, e.dataSize))
    keepSpare(s, old, e.dataSize)
  }
}

/** Gives back a buffer taken with {@link takeBuffer} but never installed. */
export function returnBuffer(s: TierState, buf: Buffer, dirtyBytes: number): void {
  keepSpare(s, buf, dirtyBytes)
  wakeMemoryWaiters(s)
}
