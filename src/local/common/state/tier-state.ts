/**
 * In-memory state of a local tier: payloads, their blocks and the tier's configuration.
 * Plain data shared by the tier's modules (write, read, flush, space, truncate).
 */
import type { FileBlock } from '../../../core/block.js'
import { DefaultSpaceWaitMs } from '../../../core/constants.js'
import type { BlockStoreError } from '../../../core/errors.js'
import { formatBlockId } from '../../../core/keys.js'
import type { LocalStoreHooks } from '../../../core/local-store.js'
import type { MetadataStore } from '../../../core/metadata-store.js'
import { RetentionPolicy } from '../../../core/retention.js'
import type { BlockMedium } from './block-medium.js'
import { Mutex, RwLock } from './mutex.js'

/** One block known to the tier. Its bytes live in `buf` or on the medium, never both. */
export interface BlockEntry {
  readonly payloadId: string
  readonly idx: number
  /** Block ID (row key). */
  readonly id: string
  readonly lock: Mutex
  /** Set when the block was dropped (truncate, delete); holders of a stale entry retry. */
  gone: boolean
  /**
   * Dirty write buffer holding every valid byte of the block: at least `dataSize` bytes, one
   * of the sizes in buffers.ts (a small payload does not hold a whole block of the memory
   * budget). Invariant: its bytes from `dataSize` on are zero (writes extend `dataSize`, cuts
   * zero the tail), so a freed buffer needs zeroing only below the `dataSize` it had.
   */
  buf: Buffer | null
  /** A copy exists on the medium. */
  onMedium: boolean
  /** Bytes of the medium copy counted in `diskUsed`. */
  mediumSize: number
  /** Valid bytes of the block. */
  dataSize: number
  /** The block's row while it is Dirty: only this store moves a Dirty row, so it stays exact. */
  dirtyRow: FileBlock | undefined
  /**
   * `dirtyRow` is not stored yet: a new block whose bytes are only in its buffer needs no row
   * until they reach the medium (a spill stores it) or a flush commits the block Local, so a
   * small write followed by a flush costs one metadata commit, not two.
   */
  dirtyRowPending: boolean
  /** Medium copy written since its last fsync; `writeGen` counts such writes. */
  unsynced: boolean
  writeGen: number
  /**
   * A background sync of the block's file failed (write-behind.ts): the next flush reports it.
   * After a failed fsync the kernel may have dropped the dirty pages it could not write, so a
   * later fsync that succeeds proves nothing about them: the flush must fail as if its own
   * fsync had, not succeed over the loss.
   */
  syncError?: unknown
  lastAccess: number
  /** Order of the last access (LRU), from {@link touch}. */
  accessSeq: number
  lastWrite: number
}

/** One payload known to the tier. */
export interface PayloadState {
  readonly id: string
  readonly lock: RwLock
  /** Serialises the payload's flushes (see flush.ts). */
  readonly flushLock: Mutex
  gone: boolean
  size: number
  createdAt: number
  modifiedAt: number
  /**
   * The stored record: `none` (never flushed: the payload exists in this process only),
   * `current`, or `stale` (size or times changed since it was stored; the next flush stores it).
   */
  record: 'none' | 'current' | 'stale'
  readonly blocks: Map<number, BlockEntry>
  /**
   * Set when a committed reset could not be applied (reset.ts): every operation on the payload
   * fails with it until the store is reopened and recovery replays the reset.
   */
  broken?: BlockStoreError | undefined
  /**
   * Set by a reset once its record is appended: the payload may have a reset record in the
   * flush journal. Recovery takes such a record as the payload's whole content from then on
   * (blocks no later record covers are dropped, the size set exactly), so the next flush that
   * commits anything retires it first (flush.ts): blocks changed outside the journal since the
   * reset (whole blocks made Local at once, uploaded and evicted) have no later record.
   */
  resetJournaled?: boolean | undefined
}

/** Options common to both local stores. */
export interface TierOptions extends LocalStoreHooks {
  /** Cap on bytes stored on the medium; 0 = unlimited. */
  readonly maxDisk?: number | undefined
  /** Budget for dirty write buffers (fs only); default 256 MiB. */
  readonly maxMemory?: number | undefined
  /** How long a writer over the disk cap waits for space before BS_STORAGE_FULL; default 60 s. */
  readonly spaceWaitMs?: number | undefined
  /** Retention of synced blocks; default LRU. */
  readonly retentionPolicy?: RetentionPolicy | undefined
  /** TTL for the `ttl` policy, in ms. */
  readonly retentionTtlMs?: number | undefined
  /** Eviction enabled at open; default true. */
  readonly evictionEnabled?: boolean | undefined
  /** Clock for access times (TTL, LRU); `Date.now` by default. */
  readonly clock?: (() => number) | undefined
}

/** Mutable counters. */
export interface TierCounters {
  diskUsed: number
  reserved: number
  memUsed: number
  evictions: number
  evictedBytes: number
  spaceWaits: number
  storageFullErrors: number
}

/** A freed write buffer kept for reuse: only its first `dirtyBytes` may be non-zero. */
export interface SpareBuffer {
  readonly buf: Buffer
  readonly dirtyBytes: number
}

/** Everything the tier's modules share. */
export interface TierState {
  readonly metadata: MetadataStore
  readonly medium: BlockMedium
  readonly hooks: LocalStoreHooks
  /** Write buffers in front of the medium (fs); off for the memory store. */
  readonly buffered: boolean
  readonly maxDisk: number
  readonly maxMemory: number
  readonly spaceWaitMs: number
  policy: RetentionPolicy
  ttlMs: number
  evictionEnabled: boolean
  readonly payloads: Map<string, PayloadState>
  /** Payloads being loaded from the metadata store (one load per ID at a time). */
  readonly loading: Map<string, Promise<PayloadState | undefined>>
  readonly counters: TierCounters
  /** Resolvers woken whenever a buffer or a block lock is released. */
  readonly memoryWaiters: Set<() => void>
  /** Wall clock for access and modification times (injectable for tests). */
  readonly now: () => number
  /** Last access sequence number handed out (orders LRU ties within one millisecond). */
  accessSeq: number
  /** Entries holding a write buffer. */
  readonly withBuffer: Set<BlockEntry>
  /**
   * Spare buffers by size (bounded with the buffers in use by the memory budget), zeroed below
   * their `dirtyBytes` when reused.
   */
  readonly spareBuffers: Map<number, SpareBuffer[]>
  /** Bytes held in `spareBuffers`. */
  spareBytes: number
  /**
   * Committed resets that could not be applied: while any is left, no checkpoint may retire
   * journal records (theirs must survive until the reopen that replays them).
   */
  brokenResets: number
  /** Background syncs of whole blocks written to the medium (write-behind.ts). */
  readonly writeBehind: WriteBehind
  /**
   * Gives back the medium's overhead bytes (compaction of packs), set by a store whose medium
   * has some. Space reservations start it in the background and poll: they may hold the very
   * locks it takes.
   */
  reclaim: (() => Promise<unknown>) | undefined
  /** The reclaim in progress, if any (one at a time). */
  reclaiming: Promise<unknown> | undefined
}

/** A fresh tier state. */
export function newTierState(
  metadata: MetadataStore,
  medium: BlockMedium,
  buffered: boolean,
  options: TierOptions,
): TierState {
  return {
    metadata,
    medium,
    hooks: {
      loadRemoteBlock: options.loadRemoteBlock,
      onRemoteReferenceDropped: options.onRemoteReferenceDropped,
    },
    buffered,
    maxDisk: options.maxDisk ?? 0,
    maxMemory: options.maxMemory ?? 256 * 1024 * 1024,
    spaceWaitMs: options.spaceWaitMs ?? DefaultSpaceWaitMs,
    policy: options.retentionPolicy ?? RetentionPolicy.LRU,
    ttlMs: options.retentionTtlMs ?? 0,
    evictionEnabled: options.evictionEnabled ?? true,
    payloads: new Map(),
    loading: new Map(),
    counters: {
      diskUsed: 0,
      reserved: 0,
      memUsed: 0,
      evictions: 0,
      evictedBytes: 0,
      spaceWaits: 0,
      storageFullErrors: 0,
    },
    memoryWaiters: new Set(),
    now: options.clock ?? Date.now,
    accessSeq: 0,
    withBuffer: new Set(),
    spareBuffers: new Map(),
    spareBytes: 0,
    brokenResets: 0,
    writeBehind: newWriteBehind(),
    reclaim: undefined,
    reclaiming: undefined,
  }
}

/** A new payload state. */
export function newPayloadState(
  id: string,
  size: number,
  record: PayloadState['record'],
  now = Date.now(),
): PayloadState {
  return {
    id,
    lock: new RwLock(),
    flushLock: new Mutex(),
    gone: false,
    size,
    createdAt: now,
    modifiedAt: now,
    record,
    blocks: new Map(),
  }
}

/** Sets the payload's size in memory; its stored record is then behind. */
export function resized(p: PayloadState, size: number): void {
  p.size = size
  if (p.record === 'current') p.record = 'stale'
}

/** A change of the payload's content: new size, modified now (its record is behind). */
export function changed(s: TierState, p: PayloadState, size: number): void {
  resized(p, size)
  p.modifiedAt = s.now()
}

/** The entry of a block, created when absent. */
export function blockEntry(p: PayloadState, idx: number): BlockEntry {
  let e = p.blocks.get(idx)
  if (e === undefined) {
    e = {
      payloadId: p.id,
      idx,
      id: formatBlockId(p.id, idx),
      lock: new Mutex(),
      gone: false,
      buf: null,
      onMedium: false,
      mediumSize: 0,
      dataSize: 0,
      dirtyRow: undefined,
      dirtyRowPending: false,
      unsynced: false,
      writeGen: 0,
      lastAccess: 0,
      accessSeq: 0,
      lastWrite: 0,
    }
    p.blocks.set(idx, e)
  }
  return e
}

/** True when the block's bytes are held locally. */
export function isResident(e: BlockEntry): boolean {
  return e.buf !== null || e.onMedium
}

/** Wakes every writer waiting for memory or a lock. */
export function wakeMemoryWaiters(s: TierState): void {
  for (const wake of s.memoryWaiters) wake()
  s.memoryWaiters.clear()
}

/** Records an access to a block (time for TTL, sequence for LRU order). */
export function touch(s: TierState, e: BlockEntry): void {
  e.lastAccess = s.now()
  e.accessSeq = ++s.accessSeq
}

/** A background sync queued by write-behind.ts. */
interface WriteBehindJob {
  readonly e: BlockEntry
  /** The block's `writeGen` when queued: a later write makes this sync too early to count. */
  readonly gen: number
}

/** Write-behind state of one tier (the background syncs of write-behind.ts). */
export interface WriteBehind {
  readonly queue: WriteBehindJob[]
  /** Syncs running, by block, so a flush can wait for them instead of adding its own. */
  readonly running: Map<BlockEntry, Promise<void>>
  stopped: boolean
}

/** Fresh write-behind state. */
export function newWriteBehind(): WriteBehind {
  return { queue: [], running: new Map(), stopped: false }
}
