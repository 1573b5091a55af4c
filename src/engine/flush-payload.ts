/**
 * The engine's flush path: make the payload durable locally, promote a small payload into the
 * read buffer, and upload before acknowledging when the local tier alone is not enough.
 */
import type { AbortOptions } from '../core/abort.js'
import { BlockState, type FlushResult } from '../core/block.js'
import { BlockStoreError, isBlockStoreError } from '../core/errors.js'
import type { EngineParts } from './parts.js'

/**
 * Flushes payload `pid` of known `size`; `finalized` when every block is then remote.
 * `promote: false` skips putting a small payload into the read buffer (a staging payload,
 * renamed right after: its entry would be dropped at once, after a read of its file).
 * @throws {BlockStoreError} BS_CONCURRENT_MODIFICATION when only memory holds the latest bytes.
 */
export async function flushPayload(
  p: EngineParts,
  pid: string,
  size: number,
  o?: AbortOptions,
  promote = true,
): Promise<FlushResult> {
  // Taken before the flush: a write that lands meanwhile makes the buffer drop our fill.
  const generation = p.buffer.generation(pid)
  // Read before the flush too, while a small block is still in its write buffer: after it, the
  // bytes are only in the block file and reading them back put a file read on every small
  // flush's path. The generation keeps this as safe as reading after.
  const promotion = promote ? await smallPromotion(p, pid, size) : undefined
  await p.local.store.flush(pid, o)
  if (promotion !== undefined) p.buffer.put(pid, 0, promotion, { generation, adopt: true })
  const hasRemote = p.remote !== undefined
  if (flushUploads(p)) {
    const uploaded = await p.syncer.syncPayload(pid, o)
    if (!uploaded && !p.local.store.capabilities.durable) {
      // Never acknowledge bytes that are durable nowhere: a block was written again during
      // this flush, so its latest bytes are only in memory.
      throw new BlockStoreError(
        'BS_CONCURRENT_MODIFICATION',
        `payload ${pid} was written during its flush; flush it again`,
        { op: 'flush', payloadId: pid },
      )
    }
  }
  // Without a remote nothing is ever finalized: no need to read the rows (a query per flush).
  if (!hasRemote) return { finalized: false }
  const rows = await p.metadata.store.listFileBlocks(pid, o)
  return { finalized: rows.every((r) => r.state === BlockState.Remote) }
}

/**
 * True when a flush uploads before it acknowledges: a remote is configured and either the
 * durability asked for is remote or the local tier is not durable on its own.
 */
export function flushUploads(p: EngineParts): boolean {
  if (p.remote === undefined) return false
  return p.durability === 'remote' || !p.local.store.capabilities.durable
}

/**
 * Largest payload a flush puts into the read buffer. A read of a small payload from its block
 * file costs an open and a read, several times the copy; a larger payload's read is mostly the
 * copy itself, which the promotion would pay up front for every flushed payload, read again or
 * not, in memory the buffer keeps (fresh pages each time). Ingesting a 734 MiB tree of files,
 * promoting every single-block payload (up to 8 MiB) was 17 % of the main thread's time and
 * 430 MiB of newly touched memory; backups and sync tools rarely read a file they just wrote.
 */
export const FlushPromoteMaxBytes = 64 * 1024

/**
 * The bytes to put into the read buffer once a flush succeeds, for small single-block payloads
 * only (see {@link FlushPromoteMaxBytes}): they were just written, so the copy is cheap.
 * `undefined` when there is nothing to promote.
 */
async function smallPromotion(
  p: EngineParts,
  pid: string,
  size: number,
): Promise<Uint8Array | undefined> {
  const buffer = p.buffer
  if (!buffer.enabled || size === 0 || size > FlushPromoteMaxBytes || size > buffer.maxBytes) {
    return undefined
  }
  if (buffer.contains(pid, 0)) return undefined
  try {
    return await p.local.store.getBlockData(pid, 0)
  } catch (err) {
    // A hole, or evicted meanwhile: nothing to promote.
    if (!isBlockStoreError(err, 'BS_BLOCK_NOT_FOUND')) throw err
    return undefined
  }
}
