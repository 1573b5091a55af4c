/**
 * Payload copies and copy-on-write reads. A copy shares every block that is safely remote by
 * reference (a new row pointing at the same content-addressed object: nothing is uploaded or
 * downloaded again, traps 24 and 59) and copies the bytes of the others.
 */
import type { AbortOptions } from '../core/abort.js'
import { BlockState, type FileBlock, isRemote, newFileBlock } from '../core/block.js'
import { BlockSize } from '../core/constants.js'
import { isBlockStoreError } from '../core/errors.js'
import { formatBlockId, parseBlockId } from '../core/keys.js'
import { findFileBlock } from '../core/rows.js'
import { type ReadContext, readPayload, rowOf } from './read-path.js'

/**
 * Places a row for `dstId` referencing `row`'s object. Garbage collection may be deleting that
 * object (its source row gone meanwhile): a fenced key rejects BS_BUSY, and an object missing
 * after the commit means GC won; either way the reference is withdrawn and `false` returned so
 * the caller copies bytes instead (docs/gc.md).
 */
async function shareRemoteBlock(
  ctx: ReadContext,
  row: FileBlock,
  dstId: string,
  blockLen: number,
  options?: AbortOptions,
): Promise<boolean> {
  let shared: FileBlock | undefined
  try {
    shared = await ctx.metadata.compareAndPutFileBlock(
      {
        ...newFileBlock(dstId, ''),
        state: BlockState.Remote,
        hash: row.hash,
        blockStoreKey: row.blockStoreKey,
        dataSize: Math.min(row.dataSize, blockLen),
      },
      0,
      options,
    )
  } catch (err) {
    if (isBlockStoreError(err, 'BS_BUSY')) return false
    throw err
  }
  if (shared === undefined) return false
  // If the source row is unchanged, it referenced the object continuously from our listing
  // until after our row was committed, and GC never deletes a referenced object: the object
  // exists, and no remote I/O is needed (so copies work during an outage too).
  const source = await findFileBlock(ctx.metadata, row.id, options)
  if (source?.version === row.version) return true
  // The source changed meanwhile: GC may have deleted the object before our commit.
  if ((await ctx.remote?.statBlock(row.blockStoreKey, options)) !== undefined) return true
  await ctx.metadata.deleteFileBlock(dstId, { ...options, ifVersion: shared.version })
  return false
}

/**
 * Replaces `dst` with a copy of `src` (of `size` bytes) and flushes it; returns the number of
 * blocks that hold data.
 */
export async function copyPayload(
  ctx: ReadContext,
  src: string,
  dst: string,
  size: number,
  options?: AbortOptions,
): Promise<number> {
  if ((await ctx.local.getFileSize(dst, options)) !== undefined) {
    await ctx.local.delete(dst, options)
  }
  await ctx.local.truncate(dst, size, options)
  const rows = new Map<number, Awaited<ReturnType<typeof rowOf>>>()
  for (const row of await ctx.metadata.listFileBlocks(src, options)) {
    const at = parseBlockId(row.id)
    if (at !== undefined) rows.set(at.blockIdx, row)
  }
  let copied = 0
  const blocks = Math.ceil(size / BlockSize)
  for (let idx = 0; idx < blocks; idx++) {
    const row = rows.get(idx)
    const blockLen = Math.min(BlockSize, size - idx * BlockSize)
    if (row !== undefined && isRemote(row) && row.blockStoreKey !== '') {
      if (await shareRemoteBlock(ctx, row, formatBlockId(dst, idx), blockLen, options)) {
        copied++
        continue
      }
    }
    // Not safely remote (or the reference could not be placed): copy the bytes, holes included
    // only where the source has a row or local bytes.
    if (row === undefined && !(await ctx.local.isBlockLocal(src, idx, options))) continue
    const data = new Uint8Array(blockLen)
    const n = await readPayload(ctx, src, data, idx * BlockSize, size, options)
    await ctx.local.writeAt(dst, data.subarray(0, n), idx * BlockSize, options)
    copied++
  }
  await ctx.local.flush(dst, options)
  return copied
}

/**
 * Reads `dest` at `offset` of `payloadId` (of `size` bytes), taking each block the primary does not own (no row
 * and no local bytes) from `source`. Source bytes are served, never written into the primary,
 * so a concurrent write to the primary can never be overwritten with stale data (trap 58).
 */
export async function readWithCowSource(
  ctx: ReadContext,
  payloadId: string,
  source: string,
  dest: Uint8Array,
  offset: number,
  size: number,
  options?: AbortOptions,
): Promise<number> {
  if (offset >= size || dest.length === 0) return 0
  const length = Math.min(dest.length, size - offset)
  const sourceSize = (await ctx.local.getFileSize(source, options)) ?? 0
  let done = 0
  while (done < length) {
    const at = offset + done
    const idx = Math.floor(at / BlockSize)
    const n = Math.min((idx + 1) * BlockSize - at, length - done)
    const piece = dest.subarray(done, done + n)
    const owned =
      (await rowOf(ctx.metadata, payloadId, idx, options)) !== undefined ||
      (await ctx.local.isBlockLocal(payloadId, idx, options))
    if (owned || at >= sourceSize) {
      await readPayload(ctx, payloadId, piece, at, size, options)
    } else {
      const got = await readPayload(ctx, source, piece, at, sourceSize, options)
      piece.fill(0, got)
    }
    done += n
  }
  return length
}
