/** Counters of a read buffer (all zero for the null buffer). */
export interface ReadBufferStats {
  /** Blocks held. */
  readonly entries: number
  /** Bytes held (sum of the blocks' sizes). */
  readonly bytes: number
  /** Byte budget (0 when disabled). */
  readonly maxBytes: number
  /** Reads served from the buffer (prefetch hits included). */
  readonly hits: number
  /** Reads not served from the buffer. */
  readonly misses: number
  /** Hits on a block the prefetcher inserted, counted once per insertion. */
  readonly prefetchHits: number
  /** Puts dropped because their generation was stale (a write raced the fill). */
  readonly stalePuts: number
}

/** Options of {@link ReadBuffer.put}. */
export interface ReadBufferPutOptions {
  /**
   * The payload's {@link ReadBuffer.generation} taken before the data was read. When the
   * payload was invalidated since, the put is dropped. Omit only for data that cannot be
   * stale (for example bytes the caller holds under the payload's write lock).
   */
  readonly generation?: number | undefined
  /** True when the prefetcher inserts the block (for {@link ReadBufferStats.prefetchHits}). */
  readonly prefetched?: boolean | undefined
  /**
   * True when the block was loaded for a sequential stream (read-ahead, or a sequential
   * reader's own fetch). Once read to its end it is kept only briefly (on probation) instead
   * of at the recently used end: one pass over a large payload must not push out the blocks
   * other readers keep using, nor hold memory for bytes the stream will not read again. A
   * second read promotes it like any hot block.
   */
  readonly streamed?: boolean | undefined
  /**
   * With `streamed`: the caller's read already covered the block to its end (a sequential
   * reader's own fetch), so the block goes on probation at once.
   */
  readonly consumed?: boolean | undefined
  /**
   * Size in bytes of the payload the stream reads, when known. A stream over a payload no
   * larger than a quarter of the budget is cached like any read (see lru-read-buffer.ts):
   * reading it again is served from memory.
   */
  readonly payloadSize?: number | undefined
  /**
   * True when the caller hands `data` over: nobody writes to it afterwards, so the buffer
   * keeps it instead of a copy (an 8 MiB copy into fresh memory costs about as much as
   * hashing the block). The buffer itself never writes to a block it holds, and readers get
   * copies, so sharing read-only bytes is safe. A view into a larger allocation is still
   * copied, so an entry never pins memory the budget does not count.
   */
  readonly adopt?: boolean | undefined
}

/** What the read buffer tells about reads and writes (implemented by the prefetcher). */
export interface ReadObserver {
  /** A read touched block `blockIdx` of `payloadId` (of `payloadSize` bytes when known). */
  onRead(payloadId: string, blockIdx: number, payloadSize?: number): void
  /** The payload changed: forget its access pattern. */
  reset(payloadId: string): void
  /** A read found no data for block `blockIdx` (it is about to load or wait for it). */
  onMiss?(payloadId: string, blockIdx: number): void
  /** A block put with `prefetched` was evicted to make room before anyone read it. */
  onEvictUnread?(payloadId: string, blockIdx: number): void
}

/**
 * An in-memory LRU of whole blocks keyed by (payload ID, block index). Reads copy out, so a
 * reader never shares memory with the buffer; a put copies in unless the caller hands its
 * bytes over with `adopt` (see {@link ReadBufferPutOptions.adopt}).
 *
 * Generations: every invalidation of a payload bumps its generation. A filler takes
 * {@link generation} before it reads and passes it to {@link put}; a put whose generation is
 * stale is dropped, so a fill that raced a write never inserts stale bytes.
 * Writers must invalidate after their bytes are readable from the store they fill from.
 */
export interface ReadBuffer extends AsyncDisposable {
  /** False for the null buffer (budget 0). */
  readonly enabled: boolean
  /** Byte budget (0 when disabled). */
  readonly maxBytes: number
  /** Block size the byte-range helpers divide by. */
  readonly blockSize: number
  /**
   * Copies the block's bytes from `offsetInBlock` into `dest` (as many as fit) and marks it
   * most recently used. Returns the number of bytes copied, or undefined on a miss (no
   * such block, or `offsetInBlock` at or past its end).
   */
  get(
    payloadId: string,
    blockIdx: number,
    dest: Uint8Array,
    offsetInBlock: number,
  ): number | undefined
  /**
   * Stores `data` as the whole block and marks it most recently used, evicting least recently
   * used blocks over budget. The buffer keeps a copy, or `data` itself when `adopt` hands it
   * over. Returns false when the put was dropped: larger than the budget, stale generation, or
   * buffer closed.
   */
  put(
    payloadId: string,
    blockIdx: number,
    data: Uint8Array,
    options?: ReadBufferPutOptions,
  ): boolean
  /** True when the block is buffered; does not change its recency. */
  contains(payloadId: string, blockIdx: number): boolean
  /** The payload's current generation, to pass to {@link put} after reading. */
  generation(payloadId: string): number
  /** Drops one block and bumps the payload's generation. */
  invalidate(payloadId: string, blockIdx: number): void
  /** Write path: drops the blocks covering `[offset, offset + length)`, resets the observer. */
  invalidateRange(payloadId: string, offset: number, length: number): void
  /** Truncate path: drops the blocks at or past `newSize` bytes, resets the observer. */
  invalidateAboveSize(payloadId: string, newSize: number): void
  /** Delete path: drops every block of the payload and resets the observer. */
  invalidateAndReset(payloadId: string): void
  /**
   * Read path: reports every block covering `[offset, offset + length)` to the observer, with
   * the payload's size when the caller knows it.
   */
  notifyRead(payloadId: string, offset: number, length: number, payloadSize?: number): void
  /** Wires the observer the helpers notify (the prefetcher); replaces any previous one. */
  attachObserver(observer: ReadObserver): void
  /** Drops every block (the buffer stays usable); returns how many were dropped. */
  clear(): number
  /** Current counters. */
  stats(): ReadBufferStats
  /** Drops every block; later puts are dropped and gets miss. Idempotent. */
  close(): Promise<void>
}
