/**
 * Reading a block's medium copy, which may have been damaged behind the tier's back (a file
 * cut or removed by hand, a pack record gone): a damaged cached copy of a Remote block is
 * evicted so the caller fetches the verified remote copy; any other is an error, never zeros.
 */
import type { AbortOptions } from '../../../core/abort.js'
import { BlockStoreError } from '../../../core/errors.js'
import type { BlockEntry, TierState } from '../state/tier-state.js'
import { evictLocked } from './disk.js'

/**
 * Reads from a block's medium copy (block lock held). A copy missing or shorter than the
 * tier wrote was damaged behind its back: when the row is Remote the copy is dropped and
 * `true` returned (the caller fetches the verified remote copy, which re-caches it);
 * otherwise those bytes exist nowhere else and the read fails rather than serve zeros.
 * @throws {BlockStoreError} BS_INTEGRITY_CHECK_FAILED for a damaged copy with no remote copy.
 */
export async function readMedium(
  s: TierState,
  e: BlockEntry,
  dest: Uint8Array,
  destOffset: number,
  blockOffset: number,
  length: number,
  options?: AbortOptions,
): Promise<boolean> {
  const got = await s.medium.read(e.payloadId, e.idx, dest, destOffset, blockOffset, length)
  if (got >= Math.min(length, e.mediumSize - blockOffset)) return false
  const size = e.mediumSize
  if ((await evictLocked(s, e, options)) > 0) return true
  throw new BlockStoreError(
    'BS_INTEGRITY_CHECK_FAILED',
    `local copy of block ${e.id} holds ${blockOffset + got} of its ${size} bytes and no remote copy exists`,
    { op: 'readAt', payloadId: e.payloadId, blockIdx: e.idx },
  )
}
