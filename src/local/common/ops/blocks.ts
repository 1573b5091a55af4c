/**
 * Block-level operations used by the engine and the syncer: consistent snapshots for upload,
 * installing fetched bytes of Remote blocks (only while the row still names the object they
 * came from, so a block written meanwhile is never overwritten by them), eviction, and local
 * copies.
 */
import type { AbortOptions } from '../../../core/abort.js'
import { isRemote } from '../../../core/block.js'
import { BlockSize } from '../../../core/constants.js'
import { BlockStoreError } from '../../../core/errors.js'
import type { BlockSnapshot, SnapshotOptions } from '../../../core/local-store.js'
import { purgeLeftovers } from '../rows/drop.js'
import { evictLocked, settle, withReservation } from '../space/disk.js'
import { readMedium } from '../space/medium-read.js'
import { onBlock, withBlock, withPayload } from '../state/locks.js'
import { casRow, getRow } from '../state/row-store.js'
import { type BlockEntry, isResident, resized, type TierState, touch } from '../state/tier-state.js'

function notLocal(e: BlockEntry): BlockStoreError {
  return new BlockStoreError('BS_BLOCK_NOT_FOUND', `block ${e.id} is not held locally`, {
    payloadId: e.payloadId,
    blockIdx: e.idx,
  })
}

/** What a block call on a payload this store does not know throws. */
function unknownPayload(payloadId: string): never {
  throw new BlockStoreError('BS_BLOCK_NOT_FOUND', `payload ${payloadId} is unknown`)
}

/**
 * A copy of a resident block's valid bytes (the block lock is held). A damaged copy of a
 * Remote block is dropped and reported as not local (callers fall back to the remote). Copied
 * into `into` when it is large enough (a reused buffer), into fresh memory otherwise.
 */
async function copyOf(
  s: TierState,
  e: BlockEntry,
  options?: AbortOptions,
  into?: Uint8Array,
): Promise<Uint8Array> {
  const out =
    into !== undefined && into.length >= e.dataSize
      ? into.subarray(0, e.dataSize)
      : new Uint8Array(e.dataSize)
  if (e.buf !== null) out.set(e.buf.subarray(0, e.dataSize))
  else if (e.dataSize > 0 && (await readMedium(s, e, out, 0, 0, e.dataSize, options))) {
    throw notLocal(e)
  }
  touch(s, e)
  return out
}

/** The block's valid bytes. @throws {BlockStoreError} BS_BLOCK_NOT_FOUND when not local. */
export function getBlockData(
  s: TierState,
  payloadId: string,
  idx: number,
  options?: AbortOptions,
): Promise<Uint8Array> {
  return onBlock(
    s,
    payloadId,
    idx,
    () => unknownPayload(payloadId),
    async (e) => {
      if (!isResident(e)) throw notLocal(e)
      return copyOf(s, e, options)
    },
    options,
  )
}

/** Bytes and row read together under the block lock. */
export function readBlockSnapshot(
  s: TierState,
  payloadId: string,
  idx: number,
  options?: SnapshotOptions,
): Promise<BlockSnapshot> {
  return onBlock(
    s,
    payloadId,
    idx,
    () => unknownPayload(payloadId),
    async (e) => {
      const row = await getRow(s.metadata, e.id, options)
      if (!isResident(e) || row === undefined) throw notLocal(e)
      return { data: await copyOf(s, e, options, options?.into), row }
    },
    options,
  )
}

/** True when the block's bytes are held locally. */
export function isBlockLocal(
  s: TierState,
  payloadId: string,
  idx: number,
  options?: AbortOptions,
): Promise<boolean> {
  return onBlock(
    s,
    payloadId,
    idx,
    () => false,
    async (e) => isResident(e),
    options,
  )
}

/** Drops the local copy of a Remote block; false for any other block. */
export function evictBlock(
  s: TierState,
  payloadId: string,
  idx: number,
  options?: AbortOptions,
): Promise<boolean> {
  return onBlock(
    s,
    payloadId,
    idx,
    () => false,
    async (e) => (await evictLocked(s, e, options)) > 0,
    options,
  )
}

/** Caches fetched bytes of a Remote block; false (nothing changed) when not applicable. */
export function writeFromRemote(
  s: TierState,
  payloadId: string,
  idx: number,
  data: Uint8Array,
  options?: AbortOptions,
): Promise<boolean> {
  return withPayload(
    s,
    payloadId,
    'shared',
    purgeLeftovers,
    async (p) => {
      if (p === undefined) return false
      return withBlock(s, p, idx, async (e) => {
        if (isResident(e)) return false
        const row = await getRow(s.metadata, e.id, options)
        if (row === undefined || !isRemote(row) || row.blockStoreKey === '') return false
        if (data.length !== row.dataSize) {
          throw new BlockStoreError(
            'BS_INVALID_SIZE',
            `block ${e.id}: ${data.length} bytes fetched, row says ${row.dataSize}`,
            { payloadId, blockIdx: idx, key: row.blockStoreKey },
          )
        }
        await withReservation(s, data.length, () => s.medium.replace(payloadId, idx, data), {
          ...options,
          undo: () => s.medium.remove(payloadId, idx),
        })
        Object.assign(e, { onMedium: true, mediumSize: data.length, dataSize: data.length })
        touch(s, e)
        const localPath = s.medium.localPath(payloadId, idx)
        const { stored } = await casRow(
          s,
          e.id,
          (cur) =>
            cur !== undefined && isRemote(cur) && cur.blockStoreKey === row.blockStoreKey
              ? { ...cur, localPath, lastAccess: s.now() }
              : undefined,
          options,
          { row },
        )
        if (stored === undefined) {
          // The row changed meanwhile (written, deleted): the fetched bytes are stale.
          await s.medium.remove(payloadId, idx)
          settle(s, 0, -data.length)
          Object.assign(e, { onMedium: false, mediumSize: 0, dataSize: 0 })
          return false
        }
        // Caching fetched bytes is not a modification: the size only covers the block.
        if (idx * BlockSize + data.length > p.size) resized(p, idx * BlockSize + data.length)
        return true
      })
    },
    options,
  )
}
