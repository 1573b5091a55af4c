/**
 * The uploader's row commits that claim a block's content (src/sync/uploader.ts): recording the
 * hash and content key on the row before any byte is sent, announcing the upload so identical
 * blocks wait for it instead of sending the same bytes twice, and putting the row back to Local
 * when the upload fails; and the commit options every row commit of an upload uses. Every
 * commit is a compare-and-set on the row version, so a write that lands meanwhile wins.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { debuglog } from 'node:util'
import type { AbortOptions } from '../core/abort.js'
import { BlockState, type FileBlock } from '../core/block.js'
import { isBlockStoreError } from '../core/errors.js'
import { ContentHash } from '../core/hash.js'
import { formatContentKey, formatIndexedContentKey } from '../core/keys.js'
import type { CommitOptions, MetadataStore } from '../core/metadata-store.js'
import type { ChunkIndex } from '../platform/chunk-tree.js'

const log = debuglog('blockstore:sync')
/** Commits retried while GC holds a fence on the key, waiting 20, 40, ... 1280 ms. */
const FENCE_RETRIES = 7
const FENCE_WAIT_MS = 20

/**
 * The options of an upload's row commits: visible at once, durable with the store's next sync
 * rather than each waiting for one of its own (three WAL syncs in series per block, 382 of
 * them in the ingest bench's drain). Losing them in a crash loses nothing: the row comes back
 * Local or Syncing, recovery turns Syncing back to Local, and the block is uploaded again (a
 * sent object nobody references is GC's). What needs the Remote state durable makes it so:
 * eviction's own commit is durable, and commits become durable in order; a drain and a
 * remote-durable flush sync the store before they return.
 */
export function lazily(options: AbortOptions): CommitOptions {
  return { ...options, deferSync: true }
}

/**
 * Records the hash and content key on the claimed row, before any byte is sent: from then
 * on the row references the key, which GC honours (docs/gc.md). A
 * commit refused because GC has fenced the key (BS_BUSY: it is deleting that very object)
 * is retried after a short wait: the fence lasts one deletion. `shared` is true when another
 * row had the content (a donor, or an identical block uploading now): the object may exist.
 * `uploading` is the uploader's map of the keys being uploaded now (see {@link announce}),
 * shared by all its blocks so identical ones find each other.
 */
export async function claimContent(
  metadata: MetadataStore,
  uploading: Map<string, Promise<void>>,
  base: FileBlock,
  data: Uint8Array,
  hash: ContentHash,
  chunks: ChunkIndex | undefined,
  options: AbortOptions,
): Promise<{
  claimed: FileBlock | undefined
  key: string
  shared: boolean
  /** Ends this block's announcement of the key (see {@link announce}). */
  release: (() => void) | undefined
}> {
  for (let attempt = 0; ; attempt++) {
    const donor = await metadata.findFileBlockByHash(hash, options)
    // A new object carries its chunk index after the block when the block has one; a donor's
    // object keeps whatever layout it was written with.
    const key =
      donor?.blockStoreKey ||
      (chunks === undefined ? formatContentKey(hash) : formatIndexedContentKey(hash))
    // The same content being uploaded for another block right now: wait and reference it
    // instead of sending the same bytes twice.
    const sameContent = uploading.get(key)
    if (sameContent !== undefined) await sameContent
    // Announced before the claim's commit (no await in between): an identical block
    // looking now waits for this upload instead of sending the same bytes in parallel.
    const release = sameContent === undefined ? announce(uploading, key) : undefined
    try {
      const claimed = await metadata.compareAndPutFileBlock(
        {
          ...base,
          // Syncing: referenced (protected from GC) but not evictable until confirmed.
          state: BlockState.Syncing,
          hash,
          blockStoreKey: key,
          dataSize: data.length,
          chunkRoot: chunks?.root,
        },
        base.version,
        lazily(options),
      )
      // Not claimed (written meanwhile): nothing will be uploaded under this announcement.
      if (claimed === undefined) release?.()
      const shared = donor !== undefined || sameContent !== undefined
      return { claimed, key, shared, release: claimed === undefined ? undefined : release }
    } catch (err) {
      release?.()
      if (!isBlockStoreError(err, 'BS_BUSY') || attempt >= FENCE_RETRIES) throw err
      await sleep(FENCE_WAIT_MS * 2 ** attempt, undefined, options)
    }
  }
}

/**
 * Records that this block is about to upload `key`; the returned function ends that (call
 * it once the upload settled, whatever its outcome). Waiters never fail with it: they go
 * on to check the object themselves.
 */
function announce(uploading: Map<string, Promise<void>>, key: string): () => void {
  let done!: () => void
  const settled = new Promise<void>((resolve) => {
    done = resolve
  })
  uploading.set(key, settled)
  return () => {
    if (uploading.get(key) === settled) uploading.delete(key)
    done()
  }
}

/**
 * Puts a claimed row back to Local so a later pass retries it (only if still claimed). Any
 * hash and key recorded by the claim are cleared: they were never confirmed.
 */
export async function revertClaim(metadata: MetadataStore, claimed: FileBlock): Promise<void> {
  try {
    await metadata.compareAndPutFileBlock(
      {
        ...claimed,
        state: BlockState.Local,
        hash: ContentHash.ZERO,
        blockStoreKey: '',
        chunkRoot: undefined,
      },
      claimed.version,
    )
  } catch (err) {
    // Crash recovery reverts Syncing rows too; nothing is lost if this fails.
    log('revert of %s failed: %o', claimed.id, err)
  }
}
