/**
 * LocalTier: the LocalStore behaviour shared by the memory and fs stores, over a
 * {@link BlockMedium}. Adds the close gate, argument checks and counters.
 */
import type { AbortOptions } from '../../core/abort.js'
import type { FileBlock } from '../../core/block.js'
import { CloseGate } from '../../core/close-gate.js'
import { BlockStoreError } from '../../core/errors.js'
import type { HealthReport } from '../../core/health.js'
import type {
  BlockSnapshot,
  FlushedBlock,
  LocalReadResult,
  LocalStore,
  LocalStoreCapabilities,
  LocalStoreStats,
  RecoveryReport,
  RemoteBlockRef,
  SnapshotOptions,
} from '../../core/local-store.js'
import type { PayloadRecord } from '../../core/metadata-store.js'
import { assertPayloadId } from '../../core/payload-id.js'
import * as blocks from './ops/blocks.js'
import { flush, flushPayload, releaseMemory } from './ops/flush.js'
import { readAt } from './ops/read.js'
import { renamePayload } from './ops/rename.js'
import { replaceBlock, shareRemoteBlock } from './ops/replace.js'
import { resetPayload } from './ops/reset.js'
import { deletePayload, truncate } from './ops/truncate.js'
import { writeAt } from './ops/write.js'
import { diskInUse } from './space/disk.js'
import { loadPayload } from './state/locks.js'
import { payloadStat } from './state/payload-record.js'
import type { TierState } from './state/tier-state.js'
import { stopWriteBehind } from './state/write-behind.js'
import { checkBlockIdx, checkOffset, checkReplacement, checkSize, checkSource } from './validate.js'

/** The shared implementation of both local stores. */
export class LocalTier implements LocalStore {
  readonly capabilities: LocalStoreCapabilities
  readonly backend: string
  readonly #s: TierState
  #recovery: RecoveryReport | undefined
  readonly #gate: CloseGate

  /** Wraps a prepared state (stores are built by their `open`). */
  constructor(state: TierState, capabilities: LocalStoreCapabilities, recovery?: RecoveryReport) {
    this.#s = state
    this.capabilities = capabilities
    this.backend = state.medium.backend
    this.#recovery = recovery
    this.#gate = new CloseGate('local store', this.backend)
  }

  /** What recovery did at open (not part of {@link LocalStore}: for operators and tests). */
  get recovery(): RecoveryReport | undefined {
    return this.#recovery
  }

  /** True once `close()` was called. */
  protected get closed(): boolean {
    return this.#gate.closed
  }

  /** Runs a public operation inside the close gate. */
  #run<T>(op: string, options: AbortOptions | undefined, fn: () => Promise<T>): Promise<T> {
    return this.#gate.run(op, options, fn)
  }

  readAt(
    pid: string,
    dest: Uint8Array,
    offset: number,
    o?: AbortOptions,
  ): Promise<LocalReadResult> {
    return this.#run('readAt', o, async () => {
      assertPayloadId(pid)
      checkOffset(offset, 0)
      return readAt(this.#s, pid, dest, offset, o)
    })
  }

  writeAt(pid: string, data: Uint8Array, offset: number, o?: AbortOptions): Promise<void> {
    return this.#run('writeAt', o, async () => {
      assertPayloadId(pid)
      checkOffset(offset, data.length)
      if (data.length > 0) await writeAt(this.#s, pid, data, offset, o)
    })
  }

  truncate(pid: string, size: number, o?: AbortOptions): Promise<void> {
    return this.#run('truncate', o, async () => {
      assertPayloadId(pid)
      checkSize(size)
      await truncate(this.#s, pid, size, o)
    })
  }

  delete(pid: string, o?: AbortOptions): Promise<void> {
    return this.#run('delete', o, async () => {
      assertPayloadId(pid)
      await deletePayload(this.#s, pid, o)
    })
  }

  flush(pid: string, o?: AbortOptions): Promise<FlushedBlock[]> {
    return this.#run('flush', o, async () => {
      assertPayloadId(pid)
      return flush(this.#s, pid, o)
    })
  }

  resetPayload(
    pid: string,
    data: Uint8Array,
    o?: AbortOptions,
  ): Promise<'created' | 'replaced' | false> {
    return this.#run('resetPayload', o, async () => {
      assertPayloadId(pid)
      return resetPayload(this.#s, pid, data, o)
    })
  }

  statPayload(pid: string, o?: AbortOptions): Promise<PayloadRecord | undefined> {
    return this.#run('statPayload', o, async () => {
      assertPayloadId(pid)
      return payloadStat(this.#s, await loadPayload(this.#s, pid, false, o))
    })
  }

  /**
   * Writes every dirty buffer of a payload to the medium (no fsync, rows stay Dirty): the
   * state memory pressure leaves. Not part of {@link LocalStore} (the engine never calls it);
   * tests use it to reach that state before a simulated crash.
   */
  releaseMemory(pid: string, o?: AbortOptions): Promise<void> {
    return this.#run('releaseMemory', o, async () => {
      assertPayloadId(pid)
      await releaseMemory(this.#s, pid, o)
    })
  }

  getFileSize(pid: string, o?: AbortOptions): Promise<number | undefined> {
    return this.#run('getFileSize', o, async () => {
      assertPayloadId(pid)
      return (await loadPayload(this.#s, pid, false, o))?.size
    })
  }

  isBlockLocal(pid: string, idx: number, o?: AbortOptions): Promise<boolean> {
    return this.#run('isBlockLocal', o, async () => {
      assertPayloadId(pid)
      checkBlockIdx(idx)
      return blocks.isBlockLocal(this.#s, pid, idx, o)
    })
  }

  getBlockData(pid: string, idx: number, o?: AbortOptions): Promise<Uint8Array> {
    return this.#run('getBlockData', o, async () => {
      assertPayloadId(pid)
      checkBlockIdx(idx)
      return blocks.getBlockData(this.#s, pid, idx, o)
    })
  }

  readBlockSnapshot(pid: string, idx: number, o?: SnapshotOptions): Promise<BlockSnapshot> {
    return this.#run('readBlockSnapshot', o, async () => {
      assertPayloadId(pid)
      checkBlockIdx(idx)
      return blocks.readBlockSnapshot(this.#s, pid, idx, o)
    })
  }

  writeFromRemote(pid: string, idx: number, data: Uint8Array, o?: AbortOptions): Promise<boolean> {
    return this.#run('writeFromRemote', o, async () => {
      assertPayloadId(pid)
      checkBlockIdx(idx)
      return blocks.writeFromRemote(this.#s, pid, idx, data, o)
    })
  }

  evictBlock(pid: string, idx: number, o?: AbortOptions): Promise<boolean> {
    return this.#run('evictBlock', o, async () => {
      assertPayloadId(pid)
      checkBlockIdx(idx)
      return blocks.evictBlock(this.#s, pid, idx, o)
    })
  }

  shareRemoteBlock(
    pid: string,
    idx: number,
    source: RemoteBlockRef,
    o?: AbortOptions,
  ): Promise<FileBlock> {
    return this.#run('shareRemoteBlock', o, async () => {
      assertPayloadId(pid)
      checkBlockIdx(idx)
      checkSource(source)
      return shareRemoteBlock(this.#s, pid, idx, source, o)
    })
  }

  replaceBlock(pid: string, idx: number, data: Uint8Array, o?: AbortOptions): Promise<void> {
    return this.#run('replaceBlock', o, async () => {
      assertPayloadId(pid)
      checkBlockIdx(idx)
      checkReplacement(data)
      await replaceBlock(this.#s, pid, idx, data, o)
    })
  }

  renamePayload(src: string, dst: string, o?: AbortOptions): Promise<void> {
    return this.#run('renamePayload', o, async () => {
      assertPayloadId(src)
      assertPayloadId(dst)
      if (src === dst) {
        throw new BlockStoreError('BS_INVALID_ARGUMENT', `cannot rename ${src} onto itself`, {
          payloadId: src,
        })
      }
      await renamePayload(this.#s, src, dst, o)
    })
  }

  listFiles(): string[] {
    return [...this.#s.payloads.keys()]
  }

  stats(): LocalStoreStats {
    const s = this.#s
    let dirty = 0
    let unrecorded = 0
    let resident = 0
    for (const p of s.payloads.values()) {
      for (const e of p.blocks.values()) {
        if (e.dirtyRow !== undefined) dirty++
        if (e.dirtyRowPending) unrecorded++
        if (e.onMedium || e.buf !== null) resident++
      }
    }
    const c = s.counters
    return {
      diskUsed: diskInUse(s),
      maxDisk: s.maxDisk,
      memUsed: s.buffered ? c.memUsed : diskInUse(s),
      maxMemory: s.buffered ? s.maxMemory : s.maxDisk,
      fileCount: s.payloads.size,
      memBlockCount: s.buffered ? s.withBuffer.size : resident,
      dirtyBlockCount: dirty,
      unrecordedDirtyBlocks: unrecorded,
      evictions: c.evictions,
      evictedBytes: c.evictedBytes,
      spaceWaits: c.spaceWaits,
      storageFullErrors: c.storageFullErrors,
    }
  }

  setEvictionEnabled(enabled: boolean): void {
    this.#s.evictionEnabled = enabled
  }

  /** Health of the medium; subclasses probe it (the base only checks the gate). */
  async healthcheck(options?: AbortOptions): Promise<HealthReport> {
    const started = performance.now()
    const report = (status: HealthReport['status'], message?: string): HealthReport => ({
      status,
      ...(message === undefined ? {} : { message }),
      checkedAt: Date.now(),
      latencyMs: performance.now() - started,
    })
    if (options?.signal?.aborted) return report('unknown', String(options.signal.reason))
    if (this.#gate.closed) return report('unhealthy', `${this.backend} local store is closed`)
    return report('healthy')
  }

  /**
   * Rejects new calls, waits for calls in flight, flushes every payload that has unflushed
   * changes, then releases the medium. Idempotent.
   */
  close(): Promise<void> {
    return this.#gate.close(() => this.#closeAll())
  }

  /**
   * Lets go of the store the way a process kill does: new calls are refused at once, nothing
   * is flushed or recorded, calls in flight are not waited for, and the medium's open files are
   * released. The directory stays exactly as it is, for recovery at the next open. For crash
   * tests, and for a host that must drop a store after a fatal error without writing through it
   * again. Idempotent; after close() it resolves with close().
   */
  abandon(): Promise<void> {
    const medium = this.#s.medium
    this.#s.writeBehind.stopped = true
    return this.#gate.abandon(() => medium.abandon?.() ?? medium.close())
  }

  async #closeAll(): Promise<void> {
    let failure: unknown
    for (const p of this.#s.payloads.values()) {
      const pending =
        p.record !== 'current' ||
        [...p.blocks.values()].some((e) => e.dirtyRow !== undefined || e.buf !== null)
      if (!pending || !this.#s.medium.durable) continue
      try {
        await flushPayload(this.#s, p)
      } catch (err) {
        failure ??= err
      }
    }
    await stopWriteBehind(this.#s)
    await this.#s.medium.close()
    if (failure !== undefined) throw failure
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
