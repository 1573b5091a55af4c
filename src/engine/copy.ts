/**
 * Payload copies and copy-on-write reads. A copy shares every block that is safely remote by
 * reference (a new row pointing at the same content-addressed object: nothing is uploaded or
 * downloaded again) and copies the bytes of the others.
 */
import type { AbortOptions } from '../core/abort.js'
import { type FileBlock, isRemote } from '../core/block.js'
import { BlockSize } from '../core/constants.js'
import { isBlockStoreError } from '../core/errors.js'
import { parseBlockId } from '../core/keys.js'
import { findFileBlock } from '../core/rows.js'
import { type ReadContext, readPayload, rowOf } from './read-path.js'

/**
 * Makes block `idx` of `dst` reference `row`'s object. Garbage collection may be deleting that
 * object (its source row gone meanwhile): a fenced key rejects BS_BUSY, and an object missing
 * after the commit means GC won; either way `false` is returned so the caller copies bytes
 * instead, over the reference (docs/gc.md). A new destination's reference is withdrawn first.
 */
async function shareBlock(
  ctx: ReadContext,
  row: FileBlock,
  dst: string,
  idx: number,
  blockLen: number,
  fresh: boolean,
  options?: AbortOptions,
): Promise<boolean> {
  let shared: FileBlock
  try {
    shared = await ctx.local.shareRemoteBlock(
      dst,
      idx,
      {
        hash: row.hash,
        blockStoreKey: row.blockStoreKey,
        dataSize: Math.min(row.dataSize, blockLen),
        // The chunk root commits to the object's size: a cut copy is read whole.
        ...(row.dataSize <= blockLen ? { chunkRoot: row.chunkRoot } : {}),
      },
      options,
    )
  } catch (err) {
    if (isBlockStoreError(err, 'BS_BUSY')) return false
    throw err
  }
  // If the source row is unchanged, it referenced the object continuously from our listing
  // until after our row was committed, and GC never deletes a referenced object: the object
  // exists, and no remote I/O is needed (so copies work during an outage too).
  const source = await findFileBlock(ctx.metadata, row.id, options)
  if (source?.version === row.version) return true
  // The source changed meanwhile: GC may have deleted the object before our commit.
  if ((await ctx.remote?.statBlock(row.blockStoreKey, options)) !== undefined) return true
  if (fresh)
    await ctx.metadata.deleteFileBlock(shared.id, { ...options, ifVersion: shared.version })
  return false
}

/**
 * Makes `dst` a copy of `src` (of `size` bytes) and flushes it; returns the number of blocks
 * that hold data. An existing destination is replaced block by block, each in one atomic step
 * (`shareRemoteBlock` or `replaceBlock` of the local store), and cut to
 * size last: a kill part-way leaves every block either as it was or as copied, and the old
 * content stays readable until the flush acknowledges the copy. (Deleting it first, as the
 * reference does, left a kill with neither.)
 */
export async function copyPayload(
  ctx: ReadContext,
  src: string,
  dst: string,
  size: number,
  options?: AbortOptions,
): Promise<number> {
  const dstSize = await ctx.local.getFileSize(dst, options)
  const fresh = dstSize === undefined
  // A new destination has no record until the flush stores it, after its bytes are durable;
  // an existing one that grows gets zeros past its old end first (the old content, as far as
  // a kill can tell), so its size is never one between old and new.
  if (fresh || size > dstSize) await ctx.local.truncate(dst, size, options)
  const rows = new Map<number, Awaited<ReturnType<typeof rowOf>>>()
  for (const row of await ctx.metadata.listFileBlocks(src, options)) {
    const at = parseBlockId(row.id)
    if (at !== undefined) rows.set(at.blockIdx, row)
  }
  let copied = 0
  const blocks = Math.ceil(size / BlockSize)
  for (let idx = 0; idx < blocks; idx++) {
    const row = rows.get(idx)
    const at = idx * BlockSize
    const blockLen = Math.min(BlockSize, size - at)
    if (row !== undefined && isRemote(row) && row.blockStoreKey !== '') {
      if (await shareBlock(ctx, row, dst, idx, blockLen, fresh, options)) {
        copied++
        continue
      }
    }
    // Not safely remote (or the reference could not be placed): copy the bytes, holes included
    // only where the source has a row or local bytes.
    const hole = row === undefined && !(await ctx.local.isBlockLocal(src, idx, options))
    if (hole && (fresh || at >= dstSize || !(await holdsBlock(ctx, dst, idx, options)))) continue
    const data = new Uint8Array(hole ? 0 : blockLen)
    const n = hole ? 0 : await readPayload(ctx, src, data, at, size, options)
    // An existing block is replaced whole, never merged (no old bytes are loaded, so this
    // works during an outage too); a hole in the source makes it a hole.
    if (fresh) await ctx.local.writeAt(dst, data.subarray(0, n), at, options)
    else await ctx.local.replaceBlock(dst, idx, data.subarray(0, n), options)
    if (!hole) copied++
  }
  if (!fresh && size < dstSize) await ctx.local.truncate(dst, size, options)
  await ctx.local.flush(dst, options)
  return copied
}

async function holdsBlock(
  ctx: ReadContext,
  pid: string,
  idx: number,
  options?: AbortOptions,
): Promise<boolean> {
  return (
    (await rowOf(ctx.metadata, pid, idx, options)) !== undefined ||
    (await ctx.local.isBlockLocal(pid, idx, options))
  )
}

/**
 * Reads `dest` at `offset` of `payloadId` (of `size` bytes), taking each block the primary does not own (no row
 * and no local bytes) from `source`. Source bytes are served, never written into the primary,
 * so a concurrent write to the primary can never be overwritten with stale data.
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
    if (at >= sourceSize || (await holdsBlock(ctx, payloadId, idx, options))) {
      await readPayload(ctx, payloadId, piece, at, size, options)
    } else {
      const got = await readPayload(ctx, source, piece, at, sourceSize, options)
      piece.fill(0, got)
    }
    done += n
  }
  return length
}
