/**
 * Writing a block's chunk index object (src/platform/chunk-tree.ts) beside its block object.
 */
import type { AbortOptions } from '../core/abort.js'
import { formatChunkIndexKey } from '../core/keys.js'
import type { RemoteStore } from '../core/remote-store.js'
import type { ChunkIndex } from '../platform/chunk-tree.js'

/**
 * Makes sure the chunk index of block object `blockKey` exists. A fresh block's index is
 * simply written. Beside a shared object (another row has the content) it is checked with a
 * HEAD and written when missing or of the wrong size: the donor may have been uploaded before
 * chunk indexes existed, and the index of a content key is a function of that content, so
 * writing it again is always the same bytes.
 */
export async function ensureChunkIndex(
  remote: RemoteStore,
  blockKey: string,
  chunks: ChunkIndex,
  shared: boolean,
  options: AbortOptions,
): Promise<void> {
  const key = formatChunkIndexKey(blockKey)
  if (shared && (await remote.statBlock(key, options))?.size === chunks.index.length) return
  await remote.writeBlock(key, chunks.index, options)
}
