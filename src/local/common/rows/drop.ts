/**
 * Dropping blocks: a block's row (each remote reference it held reported first), its buffer and
 * its medium copy, for truncate, delete and reset; and the purge of what an earlier life of a
 * payload ID left behind, before a new payload of that ID is used.
 */
import type { AbortOptions } from '../../../core/abort.js'
import { parseBlockId } from '../../../core/keys.js'
import { settle } from '../space/disk.js'
import { freeBuffer } from '../space/memory.js'
import { withBlock } from '../state/locks.js'
import { dropRow } from '../state/row-store.js'
import type { BlockEntry, PayloadState, TierState } from '../state/tier-state.js'

/** Block indexes of a payload: entries in memory and rows in the metadata store. */
export async function knownBlocks(
  s: TierState,
  p: PayloadState,
  options?: AbortOptions,
): Promise<number[]> {
  const idxs = new Set(p.blocks.keys())
  for (const row of await s.metadata.listFileBlocks(p.id, options)) {
    const at = parseBlockId(row.id)
    if (at !== undefined && at.payloadId === p.id) idxs.add(at.blockIdx)
  }
  return [...idxs].sort((a, b) => a - b)
}

/**
 * Deletes the rows and local copies a payload without a record left behind (a crash before
 * its first flush, or during its delete). The caller holds the payload's exclusive lock.
 */
export async function purgeLeftovers(
  s: TierState,
  p: PayloadState,
  options?: AbortOptions,
): Promise<number> {
  const idxs = await knownBlocks(s, p, options)
  for (const idx of idxs) await dropBlock(s, p, idx, options)
  if (idxs.length > 0) await s.medium.removePayload(p.id)
  return idxs.length
}

/** Drops one block: buffer, medium copy, row. */
export async function dropBlock(
  s: TierState,
  p: PayloadState,
  idx: number,
  options?: AbortOptions,
): Promise<void> {
  await withBlock(s, p, idx, async (e) => {
    await dropRow(s, e.id, options)
    await dropLocalBytes(s, e)
    e.gone = true
    p.blocks.delete(idx)
  })
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
