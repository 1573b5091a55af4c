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
import type { Rng } from './rng.js'

/** Counts of copies by kind, and of source blocks by state when the copy started. */
export interface CopyFigures {
  copies: number
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

/** Copies `src` onto `dst` (distinct, `src` existing) and applies it to the models. */
export async function copyOp(
  store: Engine,
  metadata: MetadataStore,
  rng: Rng,
  src: PayloadModel,
  dst: PayloadModel,
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
