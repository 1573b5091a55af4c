/**
 * The copy operation of the load campaign: `copyPayload(src, dst)` between two payloads of one
 * client, onto fresh destinations and onto existing ones of every relation, with the source
 * left as written, flushed (uploads in flight), or flushed and evicted (remote-only blocks).
 * Figures say which relations and source block states were actually exercised.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { BlockState } from '../../../src/core/block.js'
import { BlockSize } from '../../../src/core/constants.js'
import { parseBlockId } from '../../../src/core/keys.js'
import type { MetadataStore } from '../../../src/core/metadata-store.js'
import type { Engine } from '../../../src/engine/index.js'
import type { PayloadModel } from './load-model.js'
import { patternBytes } from './pattern.js'
import type { Rng } from './rng.js'

/** Counts of copies by kind, and of source blocks by state when the copy started. */
export interface CopyFigures {
  copies: number
  /** Copies racing a whole-block write of their source (counted in `copies` too). */
  racing: number
  /** Destination did not exist. */
  fresh: number
  /** Existing destination smaller than the source (grows), larger (shrinks), same size. */
  grows: number
  shrinks: number
  sameSize: number
  /** Existing destination with a zero block (a hole or never written) inside its size. */
  dstWithHoles: number
  srcWithHoles: number
  /** Source prepared: left as written / flushed / flushed then evicted. */
  srcAsWritten: number
  srcFlushed: number
  srcEvicted: number
  /** Source blocks by row at the copy's start (rows may move on before the copy reads them). */
  srcBlocksRemoteOnly: number
  srcBlocksRemoteCached: number
  srcBlocksUnsynced: number
  srcBlocksDirty: number
  srcBlocksNoRow: number
}

/** Zeroed copy figures. */
export function newCopyFigures(): CopyFigures {
  return {
    copies: 0,
    racing: 0,
    fresh: 0,
    grows: 0,
    shrinks: 0,
    sameSize: 0,
    dstWithHoles: 0,
    srcWithHoles: 0,
    srcAsWritten: 0,
    srcFlushed: 0,
    srcEvicted: 0,
    srcBlocksRemoteOnly: 0,
    srcBlocksRemoteCached: 0,
    srcBlocksUnsynced: 0,
    srcBlocksDirty: 0,
    srcBlocksNoRow: 0,
  }
}

function hasZeroBlock(m: PayloadModel): boolean {
  for (let at = 0; at < m.size; at += BlockSize) {
    if (m.zeros(at, Math.min(m.size, at + BlockSize))) return true
  }
  return false
}

async function countSourceBlocks(
  metadata: MetadataStore,
  src: PayloadModel,
  f: CopyFigures,
): Promise<void> {
  const seen = new Set<number>()
  for (const row of await metadata.listFileBlocks(src.id)) {
    const idx = parseBlockId(row.id)?.blockIdx
    if (idx === undefined || idx * BlockSize >= src.size) continue
    seen.add(idx)
    if (row.state === BlockState.Remote) {
      if (row.localPath === '') f.srcBlocksRemoteOnly++
      else f.srcBlocksRemoteCached++
    } else if (row.state === BlockState.Dirty) f.srcBlocksDirty++
    else f.srcBlocksUnsynced++
  }
  f.srcBlocksNoRow += Math.ceil(src.size / BlockSize) - seen.size
}

/** Leaves the source as written, flushes it, or flushes it, lets it upload and evicts it. */
async function prepareSource(
  store: Engine,
  rng: Rng,
  src: PayloadModel,
  f: CopyFigures,
): Promise<void> {
  const prep = rng.int(3)
  if (prep === 0) f.srcAsWritten++
  else {
    const flushed = await store.flush(src.id)
    if (prep === 1) f.srcFlushed++
    else {
      // Give the syncer a moment to upload the source, so eviction leaves remote-only blocks.
      for (let i = 0, done = flushed.finalized; !done && i < 20; i++) {
        await sleep(25)
        done = (await store.flush(src.id)).finalized
      }
      await store.evict({ payloadId: src.id })
      f.srcEvicted++
    }
  }
}

/** Copies `src` onto `dst` (distinct, `src` existing) and applies it to the models. */
export async function copyOp(
  store: Engine,
  metadata: MetadataStore,
  rng: Rng,
  src: PayloadModel,
  dst: PayloadModel,
  f: CopyFigures,
): Promise<void> {
  await prepareSource(store, rng, src, f)
  await countSourceBlocks(metadata, src, f)
  if (!dst.exists) f.fresh++
  else {
    if (src.size > dst.size) f.grows++
    else if (src.size < dst.size) f.shrinks++
    else f.sameSize++
    if (hasZeroBlock(dst)) f.dstWithHoles++
  }
  if (hasZeroBlock(src)) f.srcWithHoles++
  await store.copyPayload(src.id, dst.id)
  dst.copyFrom(src)
  f.copies++
}

/**
 * A copy racing a write of one whole block of its source: the source's reference to that
 * block's object goes away mid-copy, so GC (no grace) may delete the object before or after
 * the destination's shared reference commits (docs/gc.md). The copy is atomic per block, not
 * per payload, so each destination block must be the source's block before or after the
 * write (and the size either one), never anything else; the model takes whichever was read.
 */
export async function racingCopyOp(
  store: Engine,
  rng: Rng,
  src: PayloadModel,
  dst: PayloadModel,
  tag: number,
  f: CopyFigures,
  errors: string[],
): Promise<number> {
  await prepareSource(store, rng, src, f)
  const before = src.clone()
  const idx = rng.int(Math.ceil(src.span / BlockSize))
  const off = idx * BlockSize
  const len = Math.min(BlockSize, src.span - off)
  await Promise.all([
    store.copyPayload(src.id, dst.id),
    store.writeAt(src.id, patternBytes(tag, off, len), off),
  ])
  src.write(tag, off, len)
  f.racing++
  f.copies++
  const size = await store.getSize(dst.id)
  if (size !== before.size && size !== src.size) {
    errors.push(`${dst.id}: size ${size} after racing copy, source ${before.size} -> ${src.size}`)
  }
  dst.copyFrom(size === src.size ? src : before)
  let verified = 0
  for (let at = 0; at < size; at += BlockSize) {
    const got = new Uint8Array(Math.min(BlockSize, size - at))
    verified += await store.readAt(dst.id, got, at)
    const end = at + got.length
    if (before.mismatch(got, at) === undefined) dst.copyRange(before, at, end)
    else if (src.mismatch(got, at) === undefined) dst.copyRange(src, at, end)
    else errors.push(`${dst.id}: block at ${at} is neither source state after a racing copy`)
  }
  return verified
}
