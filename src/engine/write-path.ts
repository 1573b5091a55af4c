/**
 * The engine's write path: writes, truncates and deletes go to the local store (which owns
 * payload sizes and dirty buffers), then drop what the read buffer may still hold, even when
 * the call failed partway, so a read never serves bytes that no longer exist.
 */
import type { AbortOptions } from '../core/abort.js'
import { BlockSize } from '../core/constants.js'
import type { DirtyPayloads } from './dirty-payloads.js'
import type { EngineParts } from './parts.js'

/** Writes validated `data` at `offset` of payload `pid`. */
export async function writePayload(
  p: EngineParts,
  dirty: DirtyPayloads,
  pid: string,
  data: Uint8Array,
  offset: number,
  o?: AbortOptions,
): Promise<void> {
  if (data.length === 0) return
  try {
    await p.local.store.writeAt(pid, data, offset, o)
    dirty.mark(pid)
  } finally {
    // After the bytes are readable from the local store, so no fill can re-cache old ones;
    // also when the write failed partway (pieces before the failing block landed).
    p.buffer.invalidateRange(pid, offset, data.length)
  }
}

/** Cuts or extends payload `pid` to a validated `size`. */
export async function truncatePayload(
  p: EngineParts,
  dirty: DirtyPayloads,
  pid: string,
  size: number,
  o?: AbortOptions,
): Promise<void> {
  try {
    await p.local.store.truncate(pid, size, o)
    dirty.mark(pid)
  } finally {
    // Also when the truncate failed partway: the blocks past the end may be gone already
    // (a boundary block it could not load during an outage fails it after them).
    p.buffer.invalidateAboveSize(pid, size)
    // The boundary block's tail was zeroed: drop it too.
    if (size % BlockSize !== 0) p.buffer.invalidate(pid, Math.floor(size / BlockSize))
  }
}

/** Deletes the local bytes and rows of an existing payload `pid`. */
export async function deletePayload(
  p: EngineParts,
  dirty: DirtyPayloads,
  pid: string,
  o?: AbortOptions,
): Promise<void> {
  // Remote objects are content-addressed and may be shared: garbage collection removes them
  // once no row references them.
  try {
    await p.local.store.delete(pid, o)
    dirty.forget(pid)
  } finally {
    // Also when the delete failed partway: some rows may be gone already.
    p.buffer.invalidateAndReset(pid)
  }
}
