import { createHash, type Hash } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { ChunkLeafSize, hasChunkIndex } from '../core/chunk-layout.js'
import { ContentHash } from '../core/hash.js'
import { buildChunkIndex, type ChunkIndex, leafHashes } from './chunk-tree.js'
import { HashWorkerPool } from './hash-worker-pool.js'

/** SHA-256 of a block's valid bytes as a {@link ContentHash} (synchronous). */
export function hashBlock(data: Uint8Array): ContentHash {
  return ContentHash.fromBytes(createHash('sha256').update(data).digest())
}

/** Bytes hashed between two yields to the event loop (about 0.5 ms of SHA-256). */
const SLICE = 1024 * 1024

/**
 * SHA-256 of a block on the calling thread, a slice at a time with a yield to the event loop
 * in between, so hashing 8 MiB blocks never stalls other requests for more than a slice.
 * Not WebCrypto on the thread pool: it copies its whole input first, and a fresh 8 MiB copy
 * costs more than the hash itself. Use {@link hashOwnedBlock} for bytes the caller owns.
 */
export async function hashBlockAsync(data: Uint8Array): Promise<ContentHash> {
  return ContentHash.fromBytes((await hashSliced(data)).digest())
}

/** A hash of `data` fed a slice at a time with yields in between, not finalised. */
async function hashSliced(data: Uint8Array): Promise<Hash> {
  const hash = createHash('sha256')
  for (let at = 0; at < data.length; at += SLICE) {
    if (at > 0) await yieldToLoop()
    hash.update(data.subarray(at, at + SLICE))
  }
  return hash
}

/** Below this size the round trip to a worker costs more than hashing in place. */
const OFFLOAD_MIN_BYTES = 512 * 1024

let pool: HashWorkerPool | undefined

/**
 * SHA-256 of bytes the caller owns outright, hashed on a worker thread without a copy: the
 * memory is moved to the worker and moved back. The caller must use the returned `data` from
 * then on; the `data` it passed is detached (empty) once this returns. Bytes that cannot be
 * moved without touching someone else's memory (a view of part of a larger or shared buffer)
 * and small blocks are hashed in place with {@link hashBlockAsync}, and returned as they are.
 *
 * Why: hashing is a large share of the CPU of uploads and cold reads, and on the event loop
 * it competes with the network I/O it is meant to keep busy.
 */
export async function hashOwnedBlock(
  data: Uint8Array,
): Promise<{ readonly hash: ContentHash; readonly data: Uint8Array }> {
  if (data.byteLength < OFFLOAD_MIN_BYTES || !movable(data)) {
    return { hash: await hashBlockAsync(data), data }
  }
  const { digest, data: back } = await workers().hash(data)
  return { hash: ContentHash.fromBytes(digest), data: back }
}

/**
 * Blocks hashed on worker threads and threads started for them, process-wide (benchmarks:
 * a thread started per block means the idle exit is too eager for the block rate).
 */
export function hashWorkerStats(): { readonly jobs: number; readonly spawned: number } {
  return pool?.stats() ?? { jobs: 0, spawned: 0 }
}

/** The shared pool, started on first use. */
function workers(): HashWorkerPool {
  // Two threads even on two cores: eight uploads or fetches hashing at once queued behind a
  // single thread for 128 ms per block in a measured drain.
  pool ??= new HashWorkerPool(Math.max(2, Math.min(4, availableParallelism() - 1)))
  return pool
}

/**
 * As {@link hashOwnedBlock}, and also builds the block's chunk index (leaf hashes computed in
 * the same pass over the bytes, on the worker): what an upload records so readers can verify
 * ranged GETs. `chunks` is `undefined` for a block too small to have one (see
 * {@link hasChunkIndex}): it is read whole. With `ownsBuffer`, `data` may be the start of a
 * larger buffer the caller owns outright (a reused one): all of that buffer moves to the
 * worker and back, and the returned `data` is a view of the same length at the start of the
 * buffer that came back; bytes in a SharedArrayBuffer are hashed in place instead (nothing
 * moves; the caller must not change them until this settles) and `data` comes back as it is.
 */
export async function hashOwnedBlockWithChunks(
  data: Uint8Array,
  options: { readonly ownsBuffer?: boolean } = {},
): Promise<{
  readonly hash: ContentHash
  readonly data: Uint8Array
  readonly chunks: ChunkIndex | undefined
  /**
   * SHA-256 of `data` followed by `chunks.index`: the body of an object that carries its index
   * after the block (see `formatIndexedContentKey`), whose digest an S3 upload signs instead
   * of hashing the body again. Continues the content hash's state, so the block's bytes are
   * still hashed once.
   */
  readonly indexedBodyHash: ContentHash | undefined
}> {
  if (!hasChunkIndex(data.byteLength)) {
    return { hash: await hashBlockAsync(data), data, chunks: undefined, indexedBodyHash: undefined }
  }
  const shared = options.ownsBuffer === true && data.buffer instanceof SharedArrayBuffer
  const canMove =
    options.ownsBuffer === true
      ? data.buffer instanceof ArrayBuffer && data.byteOffset === 0
      : movable(data)
  if (data.byteLength < OFFLOAD_MIN_BYTES || !(canMove || shared)) {
    const state = await hashSliced(data)
    const hash = ContentHash.fromBytes(state.copy().digest())
    const chunks = buildChunkIndex(leafHashes(data), data.length, hash)
    const indexedBodyHash = ContentHash.fromBytes(state.update(chunks.index).digest())
    return { hash, data, chunks, indexedBodyHash }
  }
  const job = { leafSize: ChunkLeafSize, keep: true }
  const done = shared ? await workers().hashShared(data, job) : await workers().hash(data, job)
  const hash = ContentHash.fromBytes(done.digest)
  let chunks: ChunkIndex
  try {
    chunks = buildChunkIndex(done.leaves!, done.data.length, hash)
  } catch (err) {
    // The thread keeps the state until told: let it go.
    await done.continueWith?.(null)
    throw err
  }
  const body = await done.continueWith!(chunks.index)
  return {
    hash,
    data: done.data,
    chunks,
    indexedBodyHash: body === undefined ? undefined : ContentHash.fromBytes(body),
  }
}

/** True when `data` is the whole of an ordinary ArrayBuffer (moving it detaches nothing else). */
function movable(data: Uint8Array): boolean {
  const buffer = data.buffer
  // Node's pooled small Buffers share one ArrayBuffer, but they are far below the offload size.
  return (
    buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === buffer.byteLength
  )
}
