/** The enabled read buffer: an LRU of whole blocks under a byte budget. */
import { Buffer } from 'node:buffer'
import type { AbortOptions } from '../core/abort.js'
import { assertIndex, blocksForSize, coveredBlocks } from './block-range.js'
import { GenerationTable } from './generation-table.js'
import type {
  BlockLoader,
  FillResult,
  ReadBuffer,
  ReadBufferPutOptions,
  ReadBufferStats,
  ReadObserver,
} from './read-buffer.js'

/** One buffered block, linked into the recency list (head = most recent). */
interface Entry {
  readonly payloadId: string
  readonly blockIdx: number
  // A Buffer inside only: its copy() is the cheapest way out (no subarray per read).
  data: Buffer
  prefetched: boolean
  prev: Entry | undefined
  next: Entry | undefined
}

/** LRU read buffer; build it with `createReadBuffer`. */
export class LruReadBuffer implements ReadBuffer {
  readonly enabled = true
  readonly maxBytes: number
  readonly blockSize: number
  // Per-payload index: lookups need no composite key, and per-file invalidation is direct.
  readonly #byPayload = new Map<string, Map<number, Entry>>()
  readonly #generations: GenerationTable
  #head: Entry | undefined
  #tail: Entry | undefined
  #entries = 0
  #bytes = 0
  #hits = 0
  #misses = 0
  #prefetchHits = 0
  #stalePuts = 0
  #observer: ReadObserver | undefined
  #closed = false

  /** Use `createReadBuffer`, which validates the arguments. */
  constructor(maxBytes: number, blockSize: number, generationTableLimit: number) {
    this.maxBytes = maxBytes
    this.blockSize = blockSize
    this.#generations = new GenerationTable(generationTableLimit)
  }

  get(
    payloadId: string,
    blockIdx: number,
    dest: Uint8Array,
    offsetInBlock: number,
  ): number | undefined {
    assertIndex(offsetInBlock, 'offsetInBlock')
    const entry = this.#byPayload.get(payloadId)?.get(blockIdx)
    if (entry === undefined || offsetInBlock >= entry.data.length) {
      this.#misses++
      this.#observer?.onMiss?.(payloadId, blockIdx)
      return undefined
    }
    const n = Math.min(dest.length, entry.data.length - offsetInBlock)
    entry.data.copy(dest, 0, offsetInBlock, offsetInBlock + n)
    this.#hits++
    if (entry.prefetched) {
      entry.prefetched = false
      this.#prefetchHits++
    }
    this.#moveToHead(entry)
    return n
  }

  put(
    payloadId: string,
    blockIdx: number,
    data: Uint8Array,
    options?: ReadBufferPutOptions,
  ): boolean {
    assertIndex(blockIdx, 'blockIdx')
    if (this.#closed || data.length > this.maxBytes) return false
    const generation = options?.generation
    if (generation !== undefined && !this.#generations.isCurrent(payloadId, generation)) {
      this.#stalePuts++
      return false
    }
    const copy =
      options?.adopt === true && ownsWholeAllocation(data) ? asBuffer(data) : copyOf(data)
    const prefetched = options?.prefetched ?? false
    let blocks = this.#byPayload.get(payloadId)
    const existing = blocks?.get(blockIdx)
    if (existing !== undefined) {
      this.#bytes += copy.length - existing.data.length
      existing.data = copy
      existing.prefetched = prefetched
      this.#moveToHead(existing)
    } else {
      if (blocks === undefined) {
        blocks = new Map()
        this.#byPayload.set(payloadId, blocks)
      }
      const entry: Entry = {
        payloadId,
        blockIdx,
        data: copy,
        prefetched,
        prev: undefined,
        next: undefined,
      }
      blocks.set(blockIdx, entry)
      this.#linkAtHead(entry)
      this.#entries++
      this.#bytes += copy.length
    }
    // The entry just inserted is at the head and is never evicted by its own insertion.
    while (this.#bytes > this.maxBytes && this.#entries > 1 && this.#tail !== undefined) {
      const victim = this.#tail
      this.#remove(victim)
      if (victim.prefetched) this.#observer?.onEvictUnread?.(victim.payloadId, victim.blockIdx)
    }
    return true
  }

  contains(payloadId: string, blockIdx: number): boolean {
    return this.#byPayload.get(payloadId)?.has(blockIdx) ?? false
  }

  generation(payloadId: string): number {
    return this.#generations.current(payloadId)
  }

  invalidate(payloadId: string, blockIdx: number): void {
    this.#generations.bump(payloadId)
    const entry = this.#byPayload.get(payloadId)?.get(blockIdx)
    if (entry !== undefined) this.#remove(entry)
  }

  invalidateFile(payloadId: string): void {
    this.invalidateAbove(payloadId, 0)
  }

  invalidateAbove(payloadId: string, threshold: number): void {
    this.#generations.bump(payloadId)
    const blocks = this.#byPayload.get(payloadId)
    if (blocks === undefined) return
    for (const entry of [...blocks.values()]) {
      if (entry.blockIdx >= threshold) this.#remove(entry)
    }
  }

  invalidateRange(payloadId: string, offset: number, length: number): void {
    const range = coveredBlocks(offset, length, this.blockSize)
    if (range === undefined) return
    this.#generations.bump(payloadId)
    const blocks = this.#byPayload.get(payloadId)
    if (blocks !== undefined) {
      // A huge range over a payload with few buffered blocks: walk the blocks, not the range.
      for (const entry of [...blocks.values()]) {
        if (entry.blockIdx >= range.first && entry.blockIdx <= range.last) this.#remove(entry)
      }
    }
    this.#observer?.reset(payloadId)
  }

  invalidateAboveSize(payloadId: string, newSize: number): void {
    this.invalidateAbove(payloadId, blocksForSize(newSize, this.blockSize))
    this.#observer?.reset(payloadId)
  }

  invalidateAndReset(payloadId: string): void {
    this.invalidateFile(payloadId)
    this.#observer?.reset(payloadId)
  }

  notifyRead(payloadId: string, offset: number, length: number): void {
    const range = coveredBlocks(offset, length, this.blockSize)
    if (range === undefined || this.#observer === undefined) return
    for (let idx = range.first; idx <= range.last; idx++) this.#observer.onRead(payloadId, idx)
  }

  async fillFromStore(
    payloadId: string,
    offset: number,
    length: number,
    load: BlockLoader,
    options?: AbortOptions,
  ): Promise<FillResult> {
    options?.signal?.throwIfAborted()
    const range = coveredBlocks(offset, length, this.blockSize)
    let filled = 0
    let skipped = 0
    let stale = 0
    const errors: unknown[] = []
    for (let idx = range?.first ?? 0; range !== undefined && idx <= range.last; idx++) {
      if (this.contains(payloadId, idx)) {
        skipped++
        continue
      }
      // Taken before the read: a write that lands meanwhile bumps it and the put is dropped.
      const generation = this.generation(payloadId)
      let data: Uint8Array | undefined
      try {
        data = await load(payloadId, idx, options)
      } catch (err) {
        options?.signal?.throwIfAborted()
        errors.push(err)
        continue
      }
      options?.signal?.throwIfAborted()
      if (data === undefined) continue
      if (this.put(payloadId, idx, data, { generation })) filled++
      else if (!this.#generations.isCurrent(payloadId, generation)) stale++
    }
    return { filled, skipped, stale, errors }
  }

  attachObserver(observer: ReadObserver): void {
    this.#observer = observer
  }

  stats(): ReadBufferStats {
    return {
      entries: this.#entries,
      bytes: this.#bytes,
      maxBytes: this.maxBytes,
      hits: this.#hits,
      misses: this.#misses,
      prefetchHits: this.#prefetchHits,
      stalePuts: this.#stalePuts,
    }
  }

  clear(): number {
    const cleared = this.#entries
    this.#byPayload.clear()
    // In-flight fills started before the clear must not re-insert their blocks.
    this.#generations.bumpAll()
    this.#head = undefined
    this.#tail = undefined
    this.#entries = 0
    this.#bytes = 0
    return cleared
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#byPayload.clear()
    this.#generations.bumpAll()
    this.#head = undefined
    this.#tail = undefined
    this.#entries = 0
    this.#bytes = 0
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  #linkAtHead(entry: Entry): void {
    entry.prev = undefined
    entry.next = this.#head
    if (this.#head !== undefined) this.#head.prev = entry
    this.#head = entry
    if (this.#tail === undefined) this.#tail = entry
  }

  #unlink(entry: Entry): void {
    if (entry.prev !== undefined) entry.prev.next = entry.next
    else this.#head = entry.next
    if (entry.next !== undefined) entry.next.prev = entry.prev
    else this.#tail = entry.prev
    entry.prev = undefined
    entry.next = undefined
  }

  #moveToHead(entry: Entry): void {
    if (this.#head === entry) return
    this.#unlink(entry)
    this.#linkAtHead(entry)
  }

  #remove(entry: Entry): void {
    this.#unlink(entry)
    const blocks = this.#byPayload.get(entry.payloadId)
    blocks?.delete(entry.blockIdx)
    if (blocks?.size === 0) this.#byPayload.delete(entry.payloadId)
    this.#entries--
    this.#bytes -= entry.data.length
  }
}

/** True when `data` spans its whole ArrayBuffer (keeping it pins nothing else). */
function ownsWholeAllocation(data: Uint8Array): boolean {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
}

/** A Buffer view of `data` (no copy). */
function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
}

/** A private copy of `data`. */
function copyOf(data: Uint8Array): Buffer {
  // Unpooled: a small block must not pin a shared 8 KiB pool slab the budget cannot see.
  const copy = Buffer.allocUnsafeSlow(data.length)
  copy.set(data)
  return copy
}
