/**
 * Making sure the object behind a claimed row exists, in the layout its key names: the block
 * followed by its chunk index in one object (keys from `formatIndexedContentKey`), or the
 * block alone under a plain content key, with its index in an object of its own beside it
 * when the block has one (the layout of earlier versions, kept for objects shared now).
 *
 * Runs after the claim committed the reference, so GC can no longer delete the key: an
 * object seen here (or written here) stays. Content keys always hold the same bytes, so a
 * fresh block (no other row has its content) is simply uploaded, with no HEAD first; a block
 * whose content another row has is checked with one HEAD, and uploaded if the object is
 * missing or short (a donor row whose object is gone is never trusted; uploading to the same
 * key heals the donor as well).
 */
import type { AbortOptions } from '../core/abort.js'
import { chunkIndexSize, hasChunkIndex } from '../core/chunk-layout.js'
import type { ContentHash } from '../core/hash.js'
import { formatChunkIndexKey, hasIndexTrailer } from '../core/keys.js'
import type { RemoteStore } from '../core/remote-store.js'
import type { ChunkIndex } from '../platform/chunk-tree.js'

/** A hashed block about to be uploaded. */
export interface HashedBlock {
  readonly data: Uint8Array
  /**
   * `data` starts a buffer this upload owns and sized with {@link withIndexRoom}: the index
   * can be placed right after the block, and the body sent without a copy.
   */
  readonly room: boolean
  readonly hash: ContentHash
  readonly chunks: ChunkIndex | undefined
  /** SHA-256 of the block followed by its index (see `hashOwnedBlockWithChunks`). */
  readonly indexedBodyHash: ContentHash | undefined
}

/** Bytes a buffer needs to hold a block of `size` bytes followed by its chunk index. */
export function withIndexRoom(size: number): number {
  return hasChunkIndex(size) ? size + chunkIndexSize(size) : size
}

/**
 * Makes sure the object of `key` exists (see the module comment); resolves `true` when it
 * uploaded it. Every write this starts has settled when it settles, failed or not: the
 * block's buffer is reused afterwards, and a write still reading it would send whatever
 * bytes come next.
 */
export async function ensureObject(
  remote: RemoteStore,
  key: string,
  block: HashedBlock,
  shared: boolean,
  options: AbortOptions,
): Promise<boolean> {
  const { data, chunks, indexedBodyHash } = block
  if (!hasIndexTrailer(key)) {
    const [uploaded, index] = await Promise.allSettled([
      putUnlessPresent(remote, key, data, block.hash, shared, options),
      chunks === undefined
        ? Promise.resolve()
        : ensureIndexObject(remote, key, chunks, shared, options),
    ])
    if (uploaded.status === 'rejected') throw uploaded.reason
    if (index.status === 'rejected') throw index.reason
    return uploaded.value
  }
  if (chunks === undefined || indexedBodyHash === undefined) {
    // A content key names its bytes, and the same bytes always get an index or never.
    throw new Error(`unreachable: ${key} needs a chunk index and the block has none`)
  }
  return putUnlessPresent(remote, key, indexedBody(block, chunks), indexedBodyHash, shared, options)
}

/** The block followed by its index: in place after the block when there is room. */
function indexedBody(block: HashedBlock, chunks: ChunkIndex): Uint8Array {
  const { data } = block
  const length = data.length + chunks.index.length
  const body =
    block.room && data.byteOffset + length <= data.buffer.byteLength
      ? new Uint8Array(data.buffer, data.byteOffset, length)
      : new Uint8Array(length)
  if (body.buffer !== data.buffer) body.set(data)
  body.set(chunks.index, data.length)
  return body
}

/**
 * Writes `body` under `key` unless `shared` and an object of its size is there already; a
 * digest given goes with the bytes (S3 signs it instead of hashing the body again).
 */
async function putUnlessPresent(
  remote: RemoteStore,
  key: string,
  body: Uint8Array,
  sha256: ContentHash | undefined,
  shared: boolean,
  options: AbortOptions,
): Promise<boolean> {
  if (shared && (await remote.statBlock(key, options))?.size === body.length) return false
  await remote.writeBlock(key, body, sha256 === undefined ? options : { ...options, sha256 })
  return true
}

/**
 * Makes sure the separate index object of a plain-key block exists. A fresh block's index is
 * simply written. Beside a shared object it is checked with a HEAD and written when missing
 * or of the wrong size: the donor may have been uploaded before chunk indexes existed, and the
 * index of a content key is a function of that content, so writing it again is always the
 * same bytes.
 */
async function ensureIndexObject(
  remote: RemoteStore,
  blockKey: string,
  chunks: ChunkIndex,
  shared: boolean,
  options: AbortOptions,
): Promise<void> {
  const key = formatChunkIndexKey(blockKey)
  await putUnlessPresent(remote, key, chunks.index, undefined, shared, options)
}
