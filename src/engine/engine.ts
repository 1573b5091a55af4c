/**
 * The BlockStore engine: composes the local store, the optional remote store, the metadata
 * store, the syncer and the read buffer. Every public call passes a close gate (trap 10) and
 * validates its input before touching anything.
 */
import type { AbortOptions } from '../core/abort.js'
import { BlockState, type FlushResult } from '../core/block.js'
import type {
  BlockStore,
  BlockStoreStats,
  DrainReport,
  EvictOptions,
  EvictReport,
} from '../core/block-store.js'
import { BlockSize, MaxPayloadSize } from '../core/constants.js'
import { BlockStoreError, isBlockStoreError } from '../core/errors.js'
import type { GarbageCollectionOptions, GarbageCollectionResult } from '../core/gc.js'
import type { HealthReport } from '../core/health.js'
import type { LocalStore } from '../core/local-store.js'
import type {
  ListPayloadsOptions,
  MetadataStore,
  PayloadPage,
  PayloadRecord,
} from '../core/metadata-store.js'
import { assertPayloadId } from '../core/payload-id.js'
import type { RemoteStore } from '../core/remote-store.js'
import { collectGarbage } from '../gc/collect-garbage.js'
import type { Prefetcher } from '../readbuffer/prefetcher.js'
import type { ReadBuffer } from '../readbuffer/read-buffer.js'
import type { Syncer } from '../sync/syncer.js'
import type { AccessPattern } from './access-pattern.js'
import { checkHealth, evict } from './admin.js'
import type { BackgroundTasks } from './background.js'
import { copyPayload, readWithCowSource } from './copy.js'
import type { Part } from './parts.js'
import { type ReadContext, readPayload } from './read-path.js'
import { collectStats } from './stats.js'

/** The composed parts handed to the engine by `openBlockStore`. */
export interface EngineParts {
  readonly local: Part<LocalStore>
  readonly remote: Part<RemoteStore> | undefined
  readonly metadata: Part<MetadataStore>
  readonly syncer: Syncer
  readonly buffer: ReadBuffer
  readonly prefetcher: Prefetcher
  readonly durability: 'local' | 'remote'
  readonly rangedReadThreshold: number
  readonly pattern: AccessPattern
  readonly background: BackgroundTasks
}

/** The engine; open it with `openBlockStore`. */
export class Engine implements BlockStore {
  readonly #p: EngineParts
  readonly #read: ReadContext
  /** Payload → when its oldest byte not yet uploaded was written (this process's view). */
  readonly #dirtySince = new Map<string, number>()
  #active = 0
  #idle: (() => void) | undefined
  #closing: Promise<void> | undefined

  constructor(parts: EngineParts) {
    this.#p = parts
    this.#read = {
      local: parts.local.store,
      metadata: parts.metadata.store,
      remote: parts.remote?.store,
      fetcher: parts.syncer.fetcher,
      buffer: parts.buffer,
      rangedReadThreshold: parts.rangedReadThreshold,
      pattern: parts.pattern,
      background: parts.background,
    }
  }

  get hasRemote(): boolean {
    return this.#p.remote !== undefined
  }

  get localDurable(): boolean {
    return this.#p.local.store.capabilities.durable
  }

  readAt(pid: string, dest: Uint8Array, offset: number, o?: AbortOptions): Promise<number> {
    return this.#gate('readAt', o, async () => {
      assertPayloadId(pid)
      checkOffset(offset)
      return readPayload(this.#read, pid, dest, offset, await this.#size(pid, o), o)
    })
  }

  readAtWithCOWSource(
    pid: string,
    cowSource: string,
    dest: Uint8Array,
    offset: number,
    o?: AbortOptions,
  ): Promise<number> {
    if (cowSource === '') return this.readAt(pid, dest, offset, o)
    return this.#gate('readAtWithCOWSource', o, async () => {
      assertPayloadId(pid)
      assertPayloadId(cowSource)
      checkOffset(offset)
      return readWithCowSource(
        this.#read,
        pid,
        cowSource,
        dest,
        offset,
        await this.#size(pid, o),
        o,
      )
    })
  }

  getSize(pid: string, o?: AbortOptions): Promise<number> {
    return this.#gate('getSize', o, async () => {
      assertPayloadId(pid)
      return this.#size(pid, o)
    })
  }

  stat(pid: string, o?: AbortOptions): Promise<PayloadRecord> {
    return this.#gate('stat', o, async () => {
      assertPayloadId(pid)
      const size = await this.#size(pid, o)
      const record = await this.#p.metadata.store.getPayload(pid, o)
      const now = Date.now()
      // A payload never flushed has no stored record yet: its times are "now".
      return {
        id: pid,
        size,
        createdAt: record?.createdAt ?? now,
        modifiedAt: record !== undefined && record.size === size ? record.modifiedAt : now,
      }
    })
  }

  exists(pid: string, o?: AbortOptions): Promise<boolean> {
    return this.#gate('exists', o, async () => {
      assertPayloadId(pid)
      return (await this.#p.local.store.getFileSize(pid, o)) !== undefined
    })
  }

  writeAt(pid: string, data: Uint8Array, offset: number, o?: AbortOptions): Promise<void> {
    return this.#gate('writeAt', o, async () => {
      assertPayloadId(pid)
      checkOffset(offset)
      if (offset + data.length > MaxPayloadSize) {
        throw new BlockStoreError('BS_TOO_LARGE', `write ends past the largest payload size`, {
          op: 'writeAt',
          payloadId: pid,
        })
      }
      if (data.length === 0) return
      try {
        await this.#p.local.store.writeAt(pid, data, offset, o)
        this.#markDirty(pid)
      } finally {
        // After the bytes are readable from the local store, so no fill can re-cache old ones;
        // also when the write failed partway (pieces before the failing block landed).
        this.#p.buffer.invalidateRange(pid, offset, data.length)
      }
    })
  }

  truncate(pid: string, size: number, o?: AbortOptions): Promise<void> {
    return this.#gate('truncate', o, async () => {
      assertPayloadId(pid)
      if (!Number.isSafeInteger(size) || size < 0) {
        throw new BlockStoreError('BS_INVALID_SIZE', `invalid size ${size}`, { op: 'truncate' })
      }
      if (size > MaxPayloadSize) throw new BlockStoreError('BS_TOO_LARGE', `size ${size} too large`)
      try {
        await this.#p.local.store.truncate(pid, size, o)
        this.#markDirty(pid)
      } finally {
        // Also when the truncate failed partway: the blocks past the end may be gone already
        // (a boundary block it could not load during an outage fails it after them).
        this.#p.buffer.invalidateAboveSize(pid, size)
        // The boundary block's tail was zeroed: drop it too.
        if (size % BlockSize !== 0) this.#p.buffer.invalidate(pid, Math.floor(size / BlockSize))
      }
    })
  }

  delete(pid: string, o?: AbortOptions): Promise<void> {
    return this.#gate('delete', o, async () => {
      assertPayloadId(pid)
      await this.#size(pid, o)
      // Remote objects are content-addressed and may be shared: garbage collection removes
      // them once no row references them.
      try {
        await this.#p.local.store.delete(pid, o)
        this.#dirtySince.delete(pid)
      } finally {
        // Also when the delete failed partway: some rows may be gone already.
        this.#p.buffer.invalidateAndReset(pid)
      }
    })
  }

  copyPayload(src: string, dst: string, o?: AbortOptions): Promise<number> {
    return this.#gate('copyPayload', o, async () => {
      assertPayloadId(src)
      assertPayloadId(dst)
      const size = await this.#size(src, o)
      if (src === dst) return Math.ceil(size / BlockSize)
      this.#p.buffer.invalidateAndReset(dst)
      const copied = await copyPayload(this.#read, src, dst, size, o)
      this.#markDirty(dst)
      this.#p.buffer.invalidateAndReset(dst)
      return copied
    })
  }

  flush(pid: string, o?: AbortOptions): Promise<FlushResult> {
    return this.#gate('flush', o, async () => {
      assertPayloadId(pid)
      const size = await this.#size(pid, o)
      // Taken before the flush: a write that lands meanwhile makes the buffer drop our fill.
      const generation = this.#p.buffer.generation(pid)
      await this.#p.local.store.flush(pid, o)
      await this.#promoteSmall(pid, size, generation)
      const needRemote = this.#p.durability === 'remote' || !this.localDurable
      if (this.hasRemote && needRemote) {
        const uploaded = await this.#p.syncer.syncPayload(pid, o)
        if (!uploaded && !this.localDurable) {
          // Never acknowledge bytes that are durable nowhere: a block was written again during
          // this flush, so its latest bytes are only in memory.
          throw new BlockStoreError(
            'BS_CONCURRENT_MODIFICATION',
            `payload ${pid} was written during its flush; flush it again`,
            { op: 'flush', payloadId: pid },
          )
        }
      }
      const rows = await this.#p.metadata.store.listFileBlocks(pid, o)
      const finalized = this.hasRemote && rows.every((r) => r.state === BlockState.Remote)
      if (finalized) this.#dirtySince.delete(pid)
      return { finalized }
    })
  }

  drainAllUploads(o?: AbortOptions): Promise<DrainReport> {
    return this.#gate('drainAllUploads', o, async () => {
      const t0 = performance.now()
      const report = await this.#p.syncer.drain(o)
      const failed = report.failed.map((f) => ({
        blockId: f.blockId,
        code: isBlockStoreError(f.error) ? f.error.code : 'BS_UNAVAILABLE',
        message: f.error.message,
      }))
      if (failed.length === 0) this.#forgetUploaded()
      return {
        uploaded: report.uploaded,
        deduplicated: report.deduplicated,
        bytesUploaded: report.bytesUploaded,
        failed,
        durationMs: performance.now() - t0,
      }
    })
  }

  listPayloads(options?: ListPayloadsOptions): Promise<PayloadPage> {
    return this.#gate('listPayloads', options, async () => {
      if (options?.prefix !== undefined && typeof options.prefix !== 'string') {
        throw new BlockStoreError('BS_INVALID_ARGUMENT', 'prefix must be a string')
      }
      return this.#p.metadata.store.listPayloads(options)
    })
  }

  stats(o?: AbortOptions): Promise<BlockStoreStats> {
    return this.#gate('stats', o, () => collectStats(this.#p, this.#dirtySince, o))
  }

  healthcheck(o?: AbortOptions): Promise<HealthReport> {
    // A cancelled check reports "unknown" (spec §5.14) instead of rejecting in the gate.
    return this.#gate('healthcheck', undefined, () => checkHealth(this.#p, o))
  }

  evict(options: EvictOptions = {}): Promise<EvictReport> {
    return this.#gate('evict', options, () => evict(this.#p, options))
  }

  collectGarbage(options: GarbageCollectionOptions = {}): Promise<GarbageCollectionResult> {
    return this.#gate('collectGarbage', options, async () => {
      const remote = this.#p.remote?.store
      if (remote === undefined) {
        throw new BlockStoreError('BS_NOT_SUPPORTED', 'garbage collection needs a remote store')
      }
      return collectGarbage({ ...options, metadata: this.#p.metadata.store, remote })
    })
  }

  /** Stops background work, waits for in-flight calls and closes the parts it opened. */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  async #close(): Promise<void> {
    if (this.#active > 0) await new Promise<void>((resolve) => (this.#idle = resolve))
    const errors: unknown[] = []
    const step = async (fn: () => Promise<unknown>): Promise<void> => {
      try {
        await fn()
      } catch (err) {
        errors.push(err)
      }
    }
    await step(() => this.#p.prefetcher.close())
    // Local caching of fetched blocks must finish before the local store closes.
    await step(() => this.#p.background.close())
    await step(() => this.#p.buffer.close())
    await step(() => this.#p.syncer.close())
    for (const part of [this.#p.local, this.#p.remote, this.#p.metadata]) {
      if (part?.owned === true) await step(() => part.store.close())
    }
    if (errors.length === 1) throw errors[0]
    if (errors.length > 1) throw new AggregateError(errors, 'closing the block store failed')
  }

  async #gate<T>(op: string, o: AbortOptions | undefined, fn: () => Promise<T>): Promise<T> {
    if (this.#closing !== undefined) {
      throw new BlockStoreError('BS_STORE_CLOSED', `block store is closed (${op})`, { op })
    }
    o?.signal?.throwIfAborted()
    this.#active++
    try {
      return await fn()
    } finally {
      if (--this.#active === 0) this.#idle?.()
    }
  }

  async #size(pid: string, o?: AbortOptions): Promise<number> {
    const size = await this.#p.local.store.getFileSize(pid, o)
    if (size === undefined) {
      throw new BlockStoreError('BS_CONTENT_NOT_FOUND', `payload ${pid} does not exist`, {
        payloadId: pid,
      })
    }
    return size
  }

  /**
   * Auto-promote on flush (spec §5.10), for single-block payloads only: the bytes were just
   * written, so the copy is cheap, and a large payload would evict more useful entries.
   */
  async #promoteSmall(pid: string, size: number, generation: number): Promise<void> {
    const buffer = this.#p.buffer
    if (!buffer.enabled || size === 0 || size > BlockSize || size > buffer.maxBytes) return
    if (buffer.contains(pid, 0)) return
    try {
      buffer.put(pid, 0, await this.#p.local.store.getBlockData(pid, 0), {
        generation,
        adopt: true,
      })
    } catch (err) {
      // A hole, or evicted meanwhile: nothing to promote.
      if (!isBlockStoreError(err, 'BS_BLOCK_NOT_FOUND')) throw err
    }
  }

  #markDirty(pid: string): void {
    if (!this.#dirtySince.has(pid)) this.#dirtySince.set(pid, Date.now())
  }

  #forgetUploaded(): void {
    // After a complete drain, only payloads written since (still Dirty) remain unuploaded;
    // stats fall back to the rows for those.
    this.#dirtySince.clear()
  }
}

function checkOffset(offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new BlockStoreError('BS_INVALID_OFFSET', `invalid offset ${offset}`)
  }
}
