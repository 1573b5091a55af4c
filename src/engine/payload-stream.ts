/**
 * Streams between byte streams and the engine: bodies go into `writeAt` at increasing
 * offsets in bounded batches, payloads come out of `readAt` in bounded chunks. Memory use is
 * one batch or chunk, whatever the payload's size. Shared by the server and the CLI.
 */
import type { AbortOptions } from '../core/abort.js'
import type { BlockStore } from '../core/block-store.js'
import { BlockStoreError } from '../core/errors.js'

/** Bytes gathered before one `writeAt` call. */
export const WriteBatchBytes = 1024 * 1024
/** Size of a body's first batch; each next one doubles up to {@link WriteBatchBytes}. */
const FirstBatchBytes = 64 * 1024
/** Bytes read per `readAt` call while streaming out. */
export const ReadChunkBytes = 1024 * 1024

/** Options of {@link writeFromStream}. */
export interface WriteStreamOptions extends AbortOptions {
  /** Offset of the first byte (default 0). */
  readonly offset?: number | undefined
  /** Largest accepted number of bytes; more rejects with BS_TOO_LARGE. */
  readonly maxBytes?: number | undefined
  /** Called after every batch with the total bytes written so far. */
  readonly onProgress?: ((written: number) => void) | undefined
  /**
   * Bytes the source announced (an HTTP Content-Length), when known: batches are never
   * allocated larger than what is left of it, and a piece that is the whole body goes to
   * `writeAt` as it is. Only a hint: a source that sends more or less is still handled
   * (`maxBytes` is the limit).
   */
  readonly expectedBytes?: number | undefined
}

/**
 * Writes every chunk of `source` into `id` at increasing offsets; returns the bytes written.
 * @throws {BlockStoreError} BS_TOO_LARGE past `maxBytes`, and whatever `writeAt` throws.
 */
export async function writeFromStream(
  engine: Pick<BlockStore, 'writeAt'>,
  id: string,
  source: AsyncIterable<Uint8Array | string>,
  options: WriteStreamOptions = {},
): Promise<number> {
  const start = options.offset ?? 0
  const max = options.maxBytes ?? Number.MAX_SAFE_INTEGER
  // Batches are allocated when a byte needs one, starting small and doubling: a fixed 1 MiB
  // batch (plus the next one allocated after the last write) cost 2 MiB per request, and the
  // garbage collections external memory triggers, for bodies that are mostly a few KiB.
  let batch: Buffer | undefined
  let nextSize = FirstBatchBytes
  let filled = 0
  let written = 0
  const flushBatch = async (): Promise<void> => {
    if (batch === undefined || filled === 0) return
    await engine.writeAt(id, batch.subarray(0, filled), start + written, options)
    written += filled
    filled = 0
    // The engine may keep a reference to what it was given: never refill the same memory.
    nextSize = Math.min(WriteBatchBytes, 2 * batch.byteLength)
    batch = undefined
    options.onProgress?.(written)
  }
  const expected = options.expectedBytes
  for await (const piece of source) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece
    if (written + filled + chunk.byteLength > max) {
      throw new BlockStoreError('BS_TOO_LARGE', `body exceeds the limit of ${max} bytes`, {
        payloadId: id,
      })
    }
    if (
      filled === 0 &&
      written === 0 &&
      chunk.byteLength > 0 &&
      chunk.byteLength === expected &&
      chunk.byteLength <= WriteBatchBytes
    ) {
      // A small body that came in one piece (most PUTs of a few KiB): no batch to allocate
      // and copy into. The piece is never refilled by its source (a socket read gets fresh
      // memory), so the engine may keep it like a batch.
      await engine.writeAt(id, chunk, start, options)
      written = chunk.byteLength
      options.onProgress?.(written)
      continue
    }
    let pos = 0
    while (pos < chunk.byteLength) {
      const left = expected === undefined ? nextSize : expected - written - filled - pos
      // Never more than the announced rest (a 4 KiB body gets a 4 KiB batch, not 64 KiB).
      batch ??= Buffer.allocUnsafe(left > 0 ? Math.min(nextSize, left) : nextSize)
      const n = Math.min(chunk.byteLength - pos, batch.byteLength - filled)
      batch.set(chunk.subarray(pos, pos + n), filled)
      filled += n
      pos += n
      if (filled === batch.byteLength) await flushBatch()
    }
  }
  await flushBatch()
  return written
}

/**
 * Yields the bytes `[start, end)` of `id` in chunks of at most `chunkBytes`.
 * @throws {BlockStoreError} BS_CONCURRENT_MODIFICATION when the payload shrinks meanwhile,
 * and whatever `readAt` throws.
 */
export async function* readToStream(
  engine: BlockStore,
  id: string,
  start: number,
  end: number,
  options: AbortOptions & { readonly chunkBytes?: number | undefined } = {},
): AsyncGenerator<Uint8Array> {
  const chunkBytes = options.chunkBytes ?? ReadChunkBytes
  let offset = start
  while (offset < end) {
    // A fresh zeroed buffer per chunk: the consumer may still hold the previous one.
    const dest = Buffer.alloc(Math.min(chunkBytes, end - offset))
    const n = await engine.readAt(id, dest, offset, options)
    if (n === 0) {
      throw new BlockStoreError(
        'BS_CONCURRENT_MODIFICATION',
        `payload shrank to ${offset} bytes while being read`,
        { payloadId: id, op: 'readAt' },
      )
    }
    offset += n
    yield n === dest.byteLength ? dest : dest.subarray(0, n)
  }
}
