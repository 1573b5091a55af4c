/**
 * The BlockStore engine: composes the local store, the optional remote store, the metadata
 * store, the syncer and the read buffer. Every public call passes a close gate (so closing
 * never tears a call in flight) and validates its input before touching anything; the paths
 * themselves live beside this file.
 */
import type { AbortOptions } from '../core/abort.js'
import type { FlushResult } from '../core/block.js'
import type {
  BlockStore,
  BlockStoreStats,
  DrainReport,
  EvictOptions,
  EvictReport,
  FlushManyOptions,
  FlushManyResult,
  PayloadReplacement,
} from '../core/block-store.js'
import { CloseGate } from '../core/close-gate.js'
import { BlockSize } from '../core/constants.js'
import { BlockStoreError } from '../core/errors.js'
import type { GarbageCollectionOptions, GarbageCollectionResult } from '../core/gc.js'
import type { HealthReport } from '../core/health.js'
import type { ListPayloadsOptions, PayloadPage, PayloadRecord } from '../core/metadata-store.js'
import { assertUserPayloadId } from '../core/payload-id.js'
import { checkHealth, collectEngineGarbage, drainUploads, evict } from './admin.js'
import { closeParts } from './close-parts.js'
import { copyPayload, readWithCowSource } from './copy.js'
import { DirtyPayloads } from './dirty-payloads.js'
import { checkFlushConcurrency, checkFlushIds, flushBatch } from './flush-many.js'
import { flushPayload } from './flush-payload.js'
import { checkListOptions, checkOffset, checkTruncateSize, checkWriteEnd } from './input-checks.js'
import type { EngineParts } from './parts.js'
import { readPayload } from './read-path.js'
import { createReplacement, type EngineOps, renameFlushed } from './replace.js'
import { listUserPayloads, newStagingId } from './staging.js'
import { collectStats } from './stats.js'
import { UnflushedPayloads } from './unflushed-payloads.js'
import { deletePayload, truncatePayload, writePayload } from './write-path.js'

/** The engine; open it with `openBlockStore`. */
export class Engine implements BlockStore {
  readonly #p: EngineParts
  readonly #dirty = new DirtyPayloads()
  readonly #unflushed = new UnflushedPayloads()
  readonly #gate = new CloseGate('block store')

  constructor(parts: EngineParts) {
    this.#p = parts
  }

  get hasRemote(): boolean {
    return this.#p.remote !== undefined
  }

  get localDurable(): boolean {
    return this.#p.local.store.capabilities.durable
  }

  readAt(pid: string, dest: Uint8Array, offset: number, o?: AbortOptions): Promise<number> {
    return this.#gate.run('readAt', o, async () => {
      assertUserPayloadId(pid)
      checkOffset(offset)
      return readPayload(this.#p.read, pid, dest, offset, await this.#size(pid, o), o)
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
    return this.#gate.run('readAtWithCOWSource', o, async () => {
      assertUserPayloadId(pid)
      assertUserPayloadId(cowSource)
      checkOffset(offset)
      return readWithCowSource(
        this.#p.read,
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
    return this.#gate.run('getSize', o, async () => {
      assertUserPayloadId(pid)
      return this.#size(pid, o)
    })
  }

  stat(pid: string, o?: AbortOptions): Promise<PayloadRecord> {
    return this.#gate.run('stat', o, async () => {
      assertUserPayloadId(pid)
      const local = this.#p.local.store
      if (local.statPayload !== undefined) {
        // The local tier knows the record of a payload it holds: no query on every GET.
        const known = await local.statPayload(pid, o)
        if (known === undefined) throw payloadNotFound(pid)
        return known
      }
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
    return this.#gate.run('exists', o, async () => {
      assertUserPayloadId(pid)
      return (await this.#p.local.store.getFileSize(pid, o)) !== undefined
    })
  }

  writeAt(pid: string, data: Uint8Array, offset: number, o?: AbortOptions): Promise<void> {
    return this.#gate.run('writeAt', o, async () => {
      assertUserPayloadId(pid)
      checkOffset(offset)
      checkWriteEnd(pid, offset, data.length)
      try {
        await writePayload(this.#p, this.#dirty, pid, data, offset, o)
      } finally {
        // Also when it failed partway: the pieces that landed need a flush all the same.
        if (data.length > 0) this.#unflushed.mark(pid)
      }
    })
  }

  truncate(pid: string, size: number, o?: AbortOptions): Promise<void> {
    return this.#gate.run('truncate', o, async () => {
      assertUserPayloadId(pid)
      checkTruncateSize(size)
      try {
        await truncatePayload(this.#p, this.#dirty, pid, size, o)
      } finally {
        this.#unflushed.mark(pid)
      }
    })
  }

  delete(pid: string, o?: AbortOptions): Promise<void> {
    return this.#gate.run('delete', o, async () => {
      assertUserPayloadId(pid)
      await this.#size(pid, o)
      await deletePayload(this.#p, this.#dirty, pid, o)
      this.#unflushed.forget(pid)
    })
  }

  copyPayload(src: string, dst: string, o?: AbortOptions): Promise<number> {
    return this.#gate.run('copyPayload', o, async () => {
      assertUserPayloadId(src)
      assertUserPayloadId(dst)
      const size = await this.#size(src, o)
      if (src === dst) return Math.ceil(size / BlockSize)
      this.#p.buffer.invalidateAndReset(dst)
      let copied: number
      try {
        copied = await copyPayload(this.#p.read, src, dst, size, o)
      } finally {
        this.#unflushed.mark(dst)
      }
      this.#dirty.mark(dst)
      this.#p.buffer.invalidateAndReset(dst)
      return copied
    })
  }

  renamePayload(src: string, dst: string, o?: AbortOptions): Promise<void> {
    return this.#gate.run('renamePayload', o, async () => {
      assertUserPayloadId(src)
      assertUserPayloadId(dst)
      const size = await this.#size(src, o)
      if (src === dst) return
      const stamp = this.#unflushed.stamp(dst)
      await renameFlushed(this.#ops, src, dst, size, o)
      // Both are durable now: `src` is gone, `dst` was flushed last.
      this.#unflushed.forget(src)
      this.#unflushed.forgetIfUnchanged(dst, stamp)
    })
  }

  beginReplace(pid: string, o?: AbortOptions): Promise<PayloadReplacement> {
    return this.#gate.run('beginReplace', o, async () => {
      assertUserPayloadId(pid)
      return createReplacement(this.#ops, pid, newStagingId)
    })
  }

  flush(pid: string, o?: AbortOptions): Promise<FlushResult> {
    return this.#gate.run('flush', o, async () => {
      assertUserPayloadId(pid)
      return this.#flushOne(pid, o)
    })
  }

  flushMany(ids: readonly string[], options?: FlushManyOptions): Promise<FlushManyResult> {
    return this.#gate.run('flushMany', options, async () => {
      const checked = checkFlushIds(ids)
      const concurrency = checkFlushConcurrency(options)
      return flushBatch(checked, concurrency, (pid, o) => this.#flushOne(pid, o), options, false)
    })
  }

  flushAll(options?: FlushManyOptions): Promise<FlushManyResult> {
    return this.#gate.run('flushAll', options, async () => {
      const concurrency = checkFlushConcurrency(options)
      const ids = this.#unflushed.snapshot().map(([pid]) => pid)
      return flushBatch(ids, concurrency, (pid, o) => this.#flushOne(pid, o), options, true)
    })
  }

  drainAllUploads(o?: AbortOptions): Promise<DrainReport> {
    return this.#gate.run('drainAllUploads', o, async () => {
      const report = await drainUploads(this.#p, o)
      if (report.failed.length === 0) this.#dirty.forgetAll()
      return report
    })
  }

  listPayloads(options?: ListPayloadsOptions): Promise<PayloadPage> {
    return this.#gate.run('listPayloads', options, async () => {
      checkListOptions(options)
      return listUserPayloads(this.#p.metadata.store, options)
    })
  }

  stats(o?: AbortOptions): Promise<BlockStoreStats> {
    return this.#gate.run('stats', o, () => collectStats(this.#p, this.#dirty.since, o))
  }

  healthcheck(o?: AbortOptions): Promise<HealthReport> {
    // A cancelled check reports "unknown" (it learnt nothing about health) instead of rejecting
    // in the gate.
    return this.#gate.run('healthcheck', undefined, () => checkHealth(this.#p, o))
  }

  evict(options: EvictOptions = {}): Promise<EvictReport> {
    return this.#gate.run('evict', options, () => evict(this.#p, options))
  }

  collectGarbage(options: GarbageCollectionOptions = {}): Promise<GarbageCollectionResult> {
    return this.#gate.run('collectGarbage', options, () => collectEngineGarbage(this.#p, options))
  }

  /** Stops background work, waits for in-flight calls and closes the parts it opened. */
  close(): Promise<void> {
    return this.#gate.close(() => closeParts(this.#p))
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** What the replacement and rename helpers need of the engine. */
  get #ops(): EngineOps {
    return {
      parts: this.#p,
      dirty: this.#dirty,
      run: (op, o, fn) => this.#gate.run(op, o, fn),
    }
  }

  /** One payload's flush, for `flush` and the batches (already inside the gate). */
  async #flushOne(pid: string, o?: AbortOptions): Promise<FlushResult> {
    // Taken before the flush starts: a change finishing during it keeps the payload listed.
    const stamp = this.#unflushed.stamp(pid)
    const result = await flushPayload(this.#p, pid, await this.#size(pid, o), o)
    this.#unflushed.forgetIfUnchanged(pid, stamp)
    if (result.finalized) this.#dirty.forget(pid)
    return result
  }

  async #size(pid: string, o?: AbortOptions): Promise<number> {
    const size = await this.#p.local.store.getFileSize(pid, o)
    if (size === undefined) throw payloadNotFound(pid)
    return size
  }
}

function payloadNotFound(pid: string): BlockStoreError {
  return new BlockStoreError('BS_CONTENT_NOT_FOUND', `payload ${pid} does not exist`, {
    payloadId: pid,
  })
}
