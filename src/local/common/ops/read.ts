/**
 * The read path: local bytes are copied, real holes zeroed, and blocks that only the remote
 * holds are reported (their part of `dest` untouched), so no caller can turn present bytes
 * into zeros.
 */
import { dirname } from 'node:path'
import type { AbortOptions } from '../../../core/abort.js'
import { BlockState, type FileBlock } from '../../../core/block.js'
import { BlockSize } from '../../../core/constants.js'
import { BlockStoreError } from '../../../core/errors.js'
import type { LocalReadResult } from '../../../core/local-store.js'
import { readMedium } from '../space/medium-read.js'
import { withBlock, withPayload } from '../state/locks.js'
import { getRow } from '../state/row-store.js'
import {
  type BlockEntry,
  isResident,
  type PayloadState,
  type TierState,
  touch,
} from '../state/tier-state.js'

/**
 * Copies `length` bytes at `blockOffset` of a resident block; zeroes past its valid size.
 * Returns true when the copy was found damaged and dropped (see {@link readMedium}).
 */
export async function copyResident(
  s: TierState,
  e: BlockEntry,
  dest: Uint8Array,
  destOffset: number,
  blockOffset: number,
  length: number,
  options?: AbortOptions,
): Promise<boolean> {
  const avail = Math.max(0, Math.min(length, e.dataSize - blockOffset))
  if (avail > 0) {
    if (e.buf !== null) dest.set(e.buf.subarray(blockOffset, blockOffset + avail), destOffset)
    else if (await readMedium(s, e, dest, destOffset, blockOffset, avail, options)) return true
  }
  dest.fill(0, destOffset + avail, destOffset + length)
  touch(s, e)
  return false
}

/**
 * A block of a read whose bytes only the remote has, with its row when the read holds it (not
 * after a damaged local copy was dropped mid-read).
 */
interface RemoteHit {
  readonly row: FileBlock | undefined
}

/** Fills one piece; a {@link RemoteHit} when the block must come from the remote. */
async function readPiece(
  s: TierState,
  p: PayloadState,
  idx: number,
  dest: Uint8Array,
  destOffset: number,
  blockOffset: number,
  length: number,
  options?: AbortOptions,
): Promise<RemoteHit | undefined> {
  return withBlock(s, p, idx, async (e) => {
    if (isResident(e)) {
      const dropped = await copyResident(s, e, dest, destOffset, blockOffset, length, options)
      return dropped ? { row: undefined } : undefined
    }
    const row = await getRow(s.metadata, e.id, options)
    if (row !== undefined && row.dataSize > blockOffset) {
      if (row.blockStoreKey !== '') return { row }
      // A row naming a file outside this block's directory was written through another node
      // sharing the metadata store: the bytes exist there (flushed or still being written)
      // and reach the remote with its upload. Never zeros, never "corrupt".
      if (
        row.localPath !== '' &&
        dirname(row.localPath) !== dirname(s.medium.localPath(p.id, idx))
      ) {
        const what = row.state === BlockState.Dirty ? 'being written' : 'not uploaded yet'
        throw new BlockStoreError(
          'BS_BLOCK_NOT_LOCAL',
          `block ${e.id} is ${what} and its bytes are on another node sharing this metadata store; retry once that node has uploaded it`,
          { op: 'readAt', payloadId: p.id, blockIdx: idx },
        )
      }
      // A Dirty row without bytes is a never-acknowledged leftover (a hole); any other
      // state promises bytes this store no longer has: never answer zeros for them.
      if (row.state !== BlockState.Dirty) {
        throw new BlockStoreError(
          'BS_INTEGRITY_CHECK_FAILED',
          `block ${e.id} is not remote and its local copy is gone`,
          { op: 'readAt', payloadId: p.id, blockIdx: idx },
        )
      }
    }
    dest.fill(0, destOffset, destOffset + length)
    return undefined
  })
}

/** Reads `dest.length` bytes at `offset` (already validated). */
export function readAt(
  s: TierState,
  payloadId: string,
  dest: Uint8Array,
  offset: number,
  options?: AbortOptions,
): Promise<LocalReadResult> {
  return withPayload(
    s,
    payloadId,
    'shared',
    false,
    async (p) => {
      if (p === undefined) return { exists: false, length: 0, remoteBlocks: [] }
      const length = Math.max(0, Math.min(dest.length, p.size - offset))
      const remoteBlocks: number[] = []
      const remoteRows: FileBlock[] = []
      let rowsComplete = true
      let done = 0
      while (done < length) {
        const at = offset + done
        const idx = Math.floor(at / BlockSize)
        const blockOffset = at - idx * BlockSize
        const n = Math.min(BlockSize - blockOffset, length - done)
        const hit = await readPiece(s, p, idx, dest, done, blockOffset, n, options)
        if (hit !== undefined) {
          remoteBlocks.push(idx)
          if (hit.row === undefined) rowsComplete = false
          else remoteRows.push(hit.row)
        }
        done += n
      }
      // The rows go with the indexes, so the engine need not read each one a second time.
      return rowsComplete
        ? { exists: true, length, remoteBlocks, remoteRows }
        : { exists: true, length, remoteBlocks }
    },
    options,
  )
}
