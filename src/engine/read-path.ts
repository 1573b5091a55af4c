/**
 * The engine's read path: read buffer, then local store, then remote. Only real holes read as
 * zeros: bytes the local store has are copied, bytes only the remote has are fetched (every
 * piece covering the read, so no part of it is left as zeros), and a block the metadata says
 * is remote but cannot be fetched or verified is an error, never zeros.
 */
import type { AbortOptions } from '../core/abort.js'
import { chunkRootOf, type FileBlock, isRemote } from '../core/block.js'
import { BlockSize } from '../core/constants.js'
import { BlockStoreError, isBlockStoreError } from '../core/errors.js'
import { formatBlockId } from '../core/keys.js'
import type { LocalReadResult, LocalStore } from '../core/local-store.js'
import type { MetadataStore } from '../core/metadata-store.js'
import type { RemoteStore } from '../core/remote-store.js'
import { findFileBlock } from '../core/rows.js'
import type { Fetcher } from '../fetch/fetcher.js'
import type { ReadBuffer } from '../readbuffer/read-buffer.js'
import type { AccessPattern } from './access-pattern.js'
import type { BackgroundTasks } from './background.js'

/** Fetched blocks being written to the local tier at once; more are not cached. */
const MAX_CACHING_WRITES = 1

/** What the read path needs from the engine. */
export interface ReadContext {
  readonly local: LocalStore
  readonly metadata: MetadataStore
  readonly remote: RemoteStore | undefined
  readonly fetcher: Fetcher | undefined
  readonly buffer: ReadBuffer
  /**
   * Random (non-sequential) reads needing at most this many bytes of a remote block that has a
   * chunk index use a verified ranged GET (0: never).
   */
  readonly rangedReadThreshold: number
  /** Which reads continue the previous one. */
  readonly pattern: AccessPattern
  /** Owner of the background local caching of fetched blocks. */
  readonly background: BackgroundTasks
  /** Which fetched blocks are also written to the local tier (see {@link CacheFetched}). */
  readonly cacheFetched: CacheFetched
}

/**
 * Which blocks fetched from the remote are copied to the local tier (best effort either way):
 * `'random'` only those of non-sequential reads (a sequential stream is served by read-ahead
 * into the read buffer, and its disk copies cost CPU and event-loop time it needs),
 * `'always'` every one, `'never'` none.
 */
export type CacheFetched = 'random' | 'always' | 'never'

/** Reads `dest` at `offset` of a payload of known `size`; returns the bytes read. */
export async function readPayload(
  ctx: ReadContext,
  payloadId: string,
  dest: Uint8Array,
  offset: number,
  size: number,
  options: AbortOptions = {},
): Promise<number> {
  if (offset >= size || dest.length === 0) return 0
  const length = Math.min(dest.length, size - offset)
  const view = dest.subarray(0, length)
  // Recorded before any fast path, so buffer hits keep a sequential stream recognised.
  const sequential = ctx.pattern.record(payloadId, offset, length)
  if (readFromBuffer(ctx.buffer, payloadId, view, offset)) {
    ctx.buffer.notifyRead(payloadId, offset, length, size)
    return length
  }
  // Taken before reading: a write that lands meanwhile makes the buffer drop our fill.
  const generation = ctx.buffer.generation(payloadId)
  // A block can change state between the local read and the fetch (written, truncated):
  // re-reading settles it; three rounds cover any plausible interleaving.
  for (let attempt = 0; ; attempt++) {
    const result = await ctx.local.readAt(payloadId, view, offset, options)
    if (!result.exists) {
      throw new BlockStoreError('BS_CONTENT_NOT_FOUND', `payload ${payloadId} does not exist`, {
        op: 'readAt',
        payloadId,
      })
    }
    const unsettled = await fetchRemoteBlocks(
      ctx,
      payloadId,
      view.subarray(0, result.length),
      offset,
      result,
      { generation, sequential, size },
      options,
    )
    if (!unsettled || attempt >= 2) {
      if (unsettled) {
        throw new BlockStoreError(
          'BS_CONCURRENT_MODIFICATION',
          `payload ${payloadId} kept changing while being read`,
          { op: 'readAt', payloadId },
        )
      }
      await promoteSmallBlocks(ctx, payloadId, offset, result.length, size, generation)
      ctx.buffer.notifyRead(payloadId, offset, result.length, size)
      return result.length
    }
  }
}

/** True when every byte of `view` came from the read buffer. */
function readFromBuffer(
  buffer: ReadBuffer,
  payloadId: string,
  view: Uint8Array,
  offset: number,
): boolean {
  if (!buffer.enabled) return false
  let done = 0
  while (done < view.length) {
    const at = offset + done
    const idx = Math.floor(at / BlockSize)
    const inBlock = at - idx * BlockSize
    const want = Math.min(BlockSize - inBlock, view.length - done)
    const got = buffer.get(payloadId, idx, view.subarray(done, done + want), inBlock)
    // A short block (the payload's last) can only serve part of `want` when the read runs
    // past its valid bytes, which the size clamp excludes; anything short is a miss.
    if (got === undefined || got < want) return false
    done += want
  }
  return true
}

/**
 * Fetches the local read's remote-only blocks into `view` (parallel, bounded by the fetcher),
 * from the rows that read found when it gives them. Returns true when some block changed under
 * us and the read must be retried.
 */
async function fetchRemoteBlocks(
  ctx: ReadContext,
  payloadId: string,
  view: Uint8Array,
  offset: number,
  local: LocalReadResult,
  stream: StreamInfo,
  options: AbortOptions,
): Promise<boolean> {
  const blocks = local.remoteBlocks
  if (blocks.length === 0) return false
  const rows = local.remoteRows?.length === blocks.length ? local.remoteRows : undefined
  const outcomes = await Promise.all(
    blocks.map(async (idx, i) => {
      const row = rows?.[i] ?? (await rowOf(ctx.metadata, payloadId, idx, options))
      return fetchOne(ctx, payloadId, idx, row, view, offset, stream, options)
    }),
  )
  return outcomes.some((settled) => !settled)
}

/** What a read knows of the payload and its access pattern, for the blocks it fetches. */
interface StreamInfo {
  /** The buffer's generation of the payload, taken before the read. */
  readonly generation: number
  /** The read continues a sequential stream. */
  readonly sequential: boolean
  /** The payload's size in bytes. */
  readonly size: number
}

/** Fills block `idx`'s part of `view` from its `row`; false when it is not remote-only. */
async function fetchOne(
  ctx: ReadContext,
  payloadId: string,
  idx: number,
  row: FileBlock | undefined,
  view: Uint8Array,
  offset: number,
  stream: StreamInfo,
  options: AbortOptions,
): Promise<boolean> {
  const { sequential } = stream
  if (!isFetchable(row)) return false
  const blockStart = idx * BlockSize
  const from = Math.max(offset, blockStart)
  const to = Math.min(offset + view.length, blockStart + BlockSize)
  const inBlock = from - blockStart
  const avail = Math.max(0, Math.min(to - from, row.dataSize - inBlock))
  const fetcher = ctx.fetcher
  if (fetcher === undefined) {
    throw new BlockStoreError(
      'BS_BLOCK_NOT_FOUND',
      `block ${row.id} is recorded as remote but no remote store is configured`,
      { op: 'readAt', payloadId, blockIdx: idx },
    )
  }
  if (avail > 0) {
    const ranged =
      !sequential &&
      ctx.rangedReadThreshold > 0 &&
      avail <= ctx.rangedReadThreshold &&
      avail < row.dataSize &&
      // Only blocks uploaded with a chunk index can be verified a range at a time; older
      // ones are fetched whole and checked against their SHA-256.
      chunkRootOf(row) !== undefined &&
      ctx.remote?.capabilities.rangeReads === true &&
      // A prefetch already fetching the whole block is cheaper to join than a new request.
      !fetcher.isFetching(row.blockStoreKey)
    const part = view.subarray(from - offset, from - offset + avail)
    if (ranged) {
      part.set(await fetcher.fetchRange(row, inBlock, avail, options))
    } else if (
      // Published by another reader or the prefetcher since this read checked the buffer:
      // checked right before joining or starting a fetch, so no second GET of the block.
      !ctx.buffer.contains(payloadId, idx) ||
      ctx.buffer.get(payloadId, idx, part, inBlock) !== avail
    ) {
      const data = await fetcher.fetchBlock(row, options)
      view.set(data.subarray(inBlock, inBlock + avail), from - offset)
      const consumed = inBlock + avail >= data.length
      cacheFetched(ctx, payloadId, idx, data, stream, consumed)
    }
  }
  // Past the block's valid bytes (inside the payload) is a hole.
  view.fill(0, from - offset + avail, to - offset)
  return true
}

/**
 * Keeps a fetched block in the read buffer at once and on local disk (within the cap) in the
 * background: the reader already has its bytes and need not wait for an 8 MiB disk write.
 */
function cacheFetched(
  ctx: ReadContext,
  payloadId: string,
  idx: number,
  data: Uint8Array,
  stream: StreamInfo,
  consumed: boolean,
): void {
  const { generation, sequential, size } = stream
  // Fetched bytes are read-only (shared by the fetcher): the buffer may keep them as they are.
  // A sequential reader that read the block to its end is past it: probation at once (for a
  // payload large enough to be treated as a stream, see ReadBufferPutOptions.payloadSize).
  ctx.buffer.put(payloadId, idx, data, {
    generation,
    adopt: true,
    streamed: sequential,
    consumed,
    payloadSize: size,
  })
  cacheLocally(ctx, payloadId, idx, data, sequential)
}

/** Writes a verified remote block into the local store in the background. */
function cacheLocally(
  ctx: ReadContext,
  payloadId: string,
  idx: number,
  data: Uint8Array,
  sequential: boolean,
): void {
  if (ctx.cacheFetched === 'never' || (sequential && ctx.cacheFetched === 'random')) return
  // Best effort, one block at a time: a cold sequential reader fetches faster than the local
  // tier absorbs blocks (file write, fsync, row commit), and queued copies would hold memory
  // and the event loop it needs. The read buffer has the block; a skipped one stays remote.
  if (ctx.background.size >= MAX_CACHING_WRITES) return
  ctx.background.run(`caching ${payloadId}/${idx}`, async () => {
    try {
      // Re-checked under the block lock: a block written meanwhile is not overwritten.
      await ctx.local.writeFromRemote(payloadId, idx, data)
    } catch (err) {
      // A full local disk (or a store closing) only means the block stays remote-only.
      if (
        !isBlockStoreError(err, 'BS_STORAGE_FULL') &&
        !isBlockStoreError(err, 'BS_STORE_CLOSED')
      ) {
        throw err
      }
    }
  })
}

/**
 * Puts local blocks into the read buffer when doing so is cheap relative to the read: the
 * read covered at least a quarter of the block, or the whole (short) block. Copying a whole
 * 8 MiB block for every 4 KiB random read would multiply local I/O.
 */
async function promoteSmallBlocks(
  ctx: ReadContext,
  payloadId: string,
  offset: number,
  length: number,
  size: number,
  generation: number,
): Promise<void> {
  if (!ctx.buffer.enabled || length === 0) return
  const first = Math.floor(offset / BlockSize)
  const last = Math.floor((offset + length - 1) / BlockSize)
  for (let idx = first; idx <= last; idx++) {
    if (ctx.buffer.contains(payloadId, idx)) continue
    const blockStart = idx * BlockSize
    const blockLen = Math.min(BlockSize, size - blockStart)
    const covered = Math.min(offset + length, blockStart + blockLen) - Math.max(offset, blockStart)
    if (covered < blockLen && covered < BlockSize / 4) continue
    try {
      const data = await ctx.local.getBlockData(payloadId, idx)
      ctx.buffer.put(payloadId, idx, data, { generation, adopt: true })
    } catch (err) {
      // Not held locally (a hole, or evicted meanwhile): nothing to promote.
      if (!isBlockStoreError(err, 'BS_BLOCK_NOT_FOUND')) throw err
    }
  }
}

/**
 * True when the row names a remote object whose bytes only the remote has: the one kind of
 * block a demand read or a prefetch fetches (any other is local, a hole, or changing).
 */
function isFetchable(row: FileBlock | undefined): row is FileBlock {
  return row !== undefined && isRemote(row) && row.blockStoreKey !== ''
}

/** The row of a block, or `undefined` when there is none. */
export function rowOf(
  metadata: MetadataStore,
  payloadId: string,
  idx: number,
  options?: AbortOptions,
): Promise<FileBlock | undefined> {
  return findFileBlock(metadata, formatBlockId(payloadId, idx), options)
}

/**
 * Loads one whole block for the prefetcher: local bytes, else the remote copy (verified and
 * cached locally). `undefined` for holes and blocks past the end.
 */
export async function loadBlock(
  ctx: ReadContext,
  payloadId: string,
  idx: number,
  signal: AbortSignal,
): Promise<Uint8Array | undefined> {
  const opts = { signal }
  try {
    return await ctx.local.getBlockData(payloadId, idx, opts)
  } catch (err) {
    if (!isBlockStoreError(err, 'BS_BLOCK_NOT_FOUND')) throw err
  }
  const row = await rowOf(ctx.metadata, payloadId, idx, opts)
  if (!isFetchable(row) || ctx.fetcher === undefined) return undefined
  // A demand read fetched it meanwhile: nothing left to prefetch.
  if (ctx.buffer.contains(payloadId, idx)) return undefined
  const data = await ctx.fetcher.fetchBlock(row, opts)
  // Read-ahead only runs for sequential streams.
  cacheLocally(ctx, payloadId, idx, data, true)
  return data
}
