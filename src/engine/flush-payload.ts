/**
 * The engine's flush path: make the payload durable locally, promote a small payload into the
 * read buffer, and upload before acknowledging when the local tier alone is not enough.
 */
import type { AbortOptions } from '../core/abort.js'
import { BlockState, type FlushResult } from '../core/block.js'
import { BlockSize } from '../core/constants.js'
import { BlockStoreError, isBlockStoreError } from '../core/errors.js'
import type { EngineParts } from './engine.js'

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
  await p.local.store.flush(pid, o)
  if (promote) await promoteSmall(p, pid, size, generation)
  const hasRemote = p.remote !== undefined
  const localDurable = p.local.store.capabilities.durable
  const needRemote = p.durability === 'remote' || !localDurable
  if (hasRemote && needRemote) {
    const uploaded = await p.syncer.syncPayload(pid, o)
    if (!uploaded && !localDurable) {
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
 * Auto-promote on flush (spec §5.10), for single-block payloads only: the bytes were just
 * written, so the copy is cheap, and a large payload would evict more useful entries.
 */
async function promoteSmall(
  p: EngineParts,
  pid: string,
  size: number,
  generation: number,
): Promise<void> {
  const buffer = p.buffer
  if (!buffer.enabled || size === 0 || size > BlockSize || size > buffer.maxBytes) return
  if (buffer.contains(pid, 0)) return
  try {
    buffer.put(pid, 0, await p.local.store.getBlockData(pid, 0), { generation, adopt: true })
  } catch (err) {
    // A hole, or evicted meanwhile: nothing to promote.
    if (!isBlockStoreError(err, 'BS_BLOCK_NOT_FOUND')) throw err
  }
}
