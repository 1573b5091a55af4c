/**
 * Streams byte ranges of a payload into an HTTP response. The first chunk is read before the
 * status line is sent, so a payload that cannot be read (remote down, corrupt block, block
 * held by another node) is answered with its error status and JSON body instead of an empty
 * reply. Later chunks are read one ahead of the socket into a small pool of reused buffers
 * handed to `res.write` as they are: no copy, no allocation per chunk, and a read waits for
 * the socket to give a buffer back, so memory stays at the pool whatever the payload's size.
 */
import type { ServerResponse } from 'node:http'
import { finished } from 'node:stream/promises'
import type { AbortOptions } from '../core/abort.js'
import type { BlockStore } from '../core/block-store.js'
import { BlockStoreError } from '../core/errors.js'
import type { ByteRange } from './range.js'

/**
 * Bytes read per `readAt` while streaming out. Under a quarter of a block on purpose: the
 * engine copies a local block whole into its read buffer when one read covers a quarter of
 * it, which for a 1 GiB GET filled the (deduced, gigabytes large) read buffer: 1.1 GiB RSS.
 */
export const OutChunkBytes = 1024 * 1024
/** Reads started ahead of the socket: the next chunks are on their way while one is sent. */
const ReadsAhead = 1
/** Buffers one response may hold: those being read, two queued in the socket. */
const PoolBuffers = ReadsAhead + 2

/** One chunk read into a pooled buffer. */
interface Chunk {
  readonly bytes: Buffer
  readonly release: () => void
}

/** Reads the chunks of some ranges in order, {@link ReadsAhead} reads ahead of the consumer. */
class ChunkReader {
  readonly #engine: BlockStore
  readonly #id: string
  readonly #options: AbortOptions
  readonly #positions: Generator<readonly [number, number]>
  readonly #free: Buffer[] = []
  #allocated = 0
  readonly #bufferBytes: number
  readonly #waiting: (() => void)[] = []
  readonly #ahead: Promise<Chunk>[] = []

  constructor(engine: BlockStore, id: string, ranges: readonly ByteRange[], options: AbortOptions) {
    this.#engine = engine
    this.#id = id
    this.#options = options
    this.#positions = positions(ranges)
    // A small body gets small buffers: a 4 KiB GET must not allocate megabytes.
    const total = ranges.reduce((sum, r) => sum + r.end + 1 - r.start, 0)
    this.#bufferBytes = Math.min(OutChunkBytes, total)
  }

  /** The next chunk; keeps {@link ReadsAhead} reads going behind it. */
  async next(): Promise<Chunk> {
    this.#fill()
    const current = this.#ahead.shift()
    if (current === undefined) throw new RangeError('no chunk left to read')
    const chunk = await current
    this.#fill()
    return chunk
  }

  #fill(): void {
    while (this.#ahead.length < ReadsAhead) {
      const step = this.#positions.next()
      if (step.done === true) return
      const [offset, length] = step.value
      const read = this.#read(offset, length)
      // Awaited by a later `next()`; until then a failure must not count as unhandled.
      read.catch(() => {})
      this.#ahead.push(read)
    }
  }

  async #read(offset: number, length: number): Promise<Chunk> {
    const buf = await this.#acquire()
    let released = false
    const release = (): void => {
      if (released) return
      released = true
      this.#free.push(buf)
      this.#waiting.shift()?.()
    }
    try {
      const dest = buf.subarray(0, length)
      const n = await this.#engine.readAt(this.#id, dest, offset, this.#options)
      if (n < length) {
        throw new BlockStoreError(
          'BS_CONCURRENT_MODIFICATION',
          `payload shrank to ${offset + n} bytes while being read`,
          { payloadId: this.#id, op: 'readAt' },
        )
      }
      return { bytes: dest, release }
    } catch (err) {
      release()
      throw err
    }
  }

  async #acquire(): Promise<Buffer> {
    for (;;) {
      const buf = this.#free.pop()
      if (buf !== undefined) return buf
      if (this.#allocated < PoolBuffers) {
        this.#allocated++
        // Never zeroed: only the bytes readAt filled are ever sent.
        return Buffer.allocUnsafe(this.#bufferBytes)
      }
      this.#options.signal?.throwIfAborted()
      await new Promise<void>((resolve) => this.#waiting.push(resolve))
    }
  }
}

/** `[offset, length]` of every chunk, cut at multiples of {@link OutChunkBytes}. */
function* positions(ranges: readonly ByteRange[]): Generator<readonly [number, number]> {
  for (const r of ranges) {
    let at = r.start
    while (at <= r.end) {
      const end = Math.min(r.end + 1, (Math.floor(at / OutChunkBytes) + 1) * OutChunkBytes)
      yield [at, end - at]
      at = end
    }
  }
}

/** What {@link sendPayloadBody} sends. */
export interface PayloadBody {
  readonly engine: BlockStore
  readonly id: string
  /** Framing strings and byte ranges of the payload, in order. */
  readonly parts: readonly (ByteRange | string)[]
  readonly signal: AbortSignal
  /** Sends the status line and headers; called once the first chunk has been read. */
  readonly writeHead: () => void
  /** Counts payload bytes handed to the socket. */
  readonly onBytes: (n: number) => void
}

/**
 * Sends the parts as the response body and ends it. An error before the first chunk is read
 * is thrown with nothing sent; after that the caller must destroy the response.
 */
export async function sendPayloadBody(res: ServerResponse, body: PayloadBody): Promise<void> {
  const ranges = body.parts.filter((p): p is ByteRange => typeof p !== 'string')
  const reader = new ChunkReader(body.engine, body.id, ranges, { signal: body.signal })
  let first: Chunk | undefined = ranges.length > 0 ? await reader.next() : undefined
  body.writeHead()
  for (const part of body.parts) {
    if (typeof part === 'string') {
      res.write(part)
      continue
    }
    let left = part.end + 1 - part.start
    while (left > 0) {
      const chunk = first ?? (await reader.next())
      first = undefined
      left -= chunk.bytes.byteLength
      body.onBytes(chunk.bytes.byteLength)
      if (res.destroyed) throw new Error('response closed while streaming')
      // The buffer goes back to the pool once the socket has taken it, and the next read
      // waits for a free buffer: that is the backpressure. Waiting for 'drain' instead would
      // let the socket run dry before every write (it fires only once all is written).
      res.write(chunk.bytes, chunk.release)
    }
  }
  res.end()
  await finished(res)
}
