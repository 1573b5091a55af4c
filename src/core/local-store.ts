/**
 * LocalStore: the local tier. Client writes land here first (memory buffers, then block
 * files); the syncer uploads complete blocks from here; cold reads are cached here.
 *
 * Rules for every implementation (checked by `describeLocalStore`):
 * - block rows are written only through `compareAndPutFileBlock`, never a blind put, so a
 *   concurrent syncer transition is never overwritten;
 * - the first write into a block whose row is Local, Syncing or Remote moves the row to Dirty
 *   (hash and remote key cleared, `onRemoteReferenceDropped` called) before the write returns;
 * - reads never turn present bytes into zeros: bytes that only the remote has are reported;
 * - only blocks whose row is Remote with a remote key are ever evicted.
 */
import type { AbortOptions } from './abort.js'
import type { FileBlock } from './block.js'
import type { ContentHash } from './hash.js'
import type { HealthReport } from './health.js'
import type { PayloadRecord } from './metadata-store.js'

/** What a local store guarantees. */
export interface LocalStoreCapabilities {
  /**
   * A returned `flush` means the bytes survive a process kill and a power loss (false for
   * memory, and for fs with fsync off).
   */
  readonly durable: boolean
  /** Block bytes survive close and reopen. */
  readonly persistent: boolean
}

/** Hooks and options shared by every local store's `open`. */
export interface LocalStoreHooks {
  /**
   * Loads a Remote block's bytes (`row.dataSize` bytes) for a partial write into a block that is
   * not resident locally (read-modify-write). Without it such a write fails with
   * BS_REMOTE_UNAVAILABLE and changes nothing.
   */
  readonly loadRemoteBlock?:
    | ((row: FileBlock, signal?: AbortSignal) => Promise<Uint8Array>)
    | undefined
  /**
   * Called after a row lost its remote key (a write, truncate or delete dropped it), with the
   * row as it was before; the engine releases its reference to that object.
   */
  readonly onRemoteReferenceDropped?: ((previous: FileBlock) => void | Promise<void>) | undefined
}

/** Result of {@link LocalStore.readAt}. */
export interface LocalReadResult {
  /** False when the payload is unknown (no bytes, no record); nothing was written to `dest`. */
  readonly exists: boolean
  /**
   * Bytes of `dest` that lie inside the payload (`min(dest.length, size - offset)`, at least 0);
   * `dest` past that is untouched.
   */
  readonly length: number
  /**
   * Indexes of blocks whose bytes only the remote has; their part of `dest` is untouched and
   * must be fetched. Every other byte in `[0, length)` was filled: local bytes copied, real holes
   * (no row, or past a block's valid size) zeroed.
   */
  readonly remoteBlocks: readonly number[]
  /**
   * The row of each block of `remoteBlocks`, in the same order, as the read found it: the engine
   * fetches from these instead of reading every row a second time. Optional: without it (or
   * when a block's row was not at hand) the engine reads the rows itself.
   */
  readonly remoteRows?: readonly FileBlock[] | undefined
}

/** A block written to the local medium by `flush`. */
export interface FlushedBlock {
  readonly blockIdx: number
  readonly localPath: string
  readonly dataSize: number
}

/** A consistent copy of a block's bytes with the row they correspond to (for the syncer). */
export interface BlockSnapshot {
  /** Bytes `[0, row.dataSize)`. */
  readonly data: Uint8Array
  /** The row at the moment of the copy; CAS on `row.version` to detect a later write. */
  readonly row: FileBlock
}

/** Options of {@link LocalStore.readBlockSnapshot}. */
export interface SnapshotOptions extends AbortOptions {
  /**
   * Memory to copy the bytes into, when it is large enough (a store may ignore it): the
   * snapshot's `data` is then a view of its start. Lets the syncer reuse a few buffers for
   * every upload instead of allocating a fresh 8 MiB one per block, each of which pushed
   * V8's external-memory accounting into a full garbage collection every other block.
   */
  readonly into?: Uint8Array | undefined
}

/** Counters of a local store (spec local.Stats plus eviction and back-pressure counters). */
export interface LocalStoreStats {
  /** Bytes in block files (memory store: bytes of stored blocks). */
  readonly diskUsed: number
  /** Disk cap in bytes; 0 = unlimited. */
  readonly maxDisk: number
  /** Bytes held by dirty write buffers. */
  readonly memUsed: number
  /** Budget for dirty write buffers. */
  readonly maxMemory: number
  /** Payloads tracked in memory. */
  readonly fileCount: number
  /** Blocks holding a write buffer. */
  readonly memBlockCount: number
  /** Blocks written since the last flush (their row is Dirty, or not stored yet). */
  readonly dirtyBlockCount: number
  /**
   * Of those, blocks whose Dirty row is not stored yet (new blocks whose bytes are only in a
   * write buffer: the row is stored when they reach the medium or created by the flush).
   * Counts of the metadata store's Dirty rows miss them. 0 or absent where rows are never
   * deferred.
   */
  readonly unrecordedDirtyBlocks?: number | undefined
  /** Local copies evicted, and their bytes. */
  readonly evictions: number
  readonly evictedBytes: number
  /** Times a writer had to wait for disk space, and writes that failed BS_STORAGE_FULL. */
  readonly spaceWaits: number
  readonly storageFullErrors: number
}

/** What crash recovery did at open. */
export interface RecoveryReport {
  /** Block files found. */
  readonly files: number
  /** Bytes in the block files kept. */
  readonly bytes: number
  /** Files without an acknowledged row, deleted. */
  readonly orphansDeleted: number
  /** Rows reverted from Syncing to Local. */
  readonly revertedSyncing: number
  /** Dirty rows whose file exists, turned Local. */
  readonly dirtyPromoted: number
  /** Rows fixed because their local file was missing or stale (local path cleared or row removed). */
  readonly staleRowsFixed: number
  /**
   * Payloads whose recorded size was raised to cover block rows or files past it (a write
   * that reached the block before its size reached the record).
   */
  readonly sizesExtended: number
  /**
   * Staged whole-block overwrites whose Dirty row was committed before the kill, moved into
   * place (their blocks then count in `dirtyPromoted` too).
   */
  readonly stagedPromoted: number
  /** Blocks of a payload rename committed before the kill, moved into place. */
  readonly renamedPromoted: number
  /**
   * Blocks written back from the flush journal (fs store): small flushes acknowledged before
   * the kill whose block files were not yet known durable.
   */
  readonly journalReplayed: number
  /**
   * Payload records stored or grown from the flush journal (fs store): small flushes
   * acknowledged before the kill whose metadata commit was not yet synced.
   */
  readonly journalPayloadsRestored: number
  /** Block IDs whose row says Local but whose file is gone and not remote: lost bytes. */
  readonly lostBlocks: readonly string[]
  readonly durationMs: number
}

/** A remote object a block can reference: its content hash, key and size. */
export interface RemoteBlockRef {
  readonly hash: ContentHash
  readonly blockStoreKey: string
  readonly dataSize: number
  /** The object's chunk root, when it has a chunk index and `dataSize` is the object's size. */
  readonly chunkRoot?: ContentHash | undefined
}

/**
 * The local tier of one share. Payload IDs are checked on every call.
 * Every method rejects with BS_STORE_CLOSED after `close()` and with `signal.reason` when
 * the signal is aborted.
 */
export interface LocalStore extends AsyncDisposable {
  readonly capabilities: LocalStoreCapabilities
  /** "fs" or "memory". */
  readonly backend: string

  /**
   * Reads `dest.length` bytes at `offset`; see {@link LocalReadResult}.
   * @throws {BlockStoreError} BS_INVALID_OFFSET, BS_INVALID_PAYLOAD_ID, BS_INTEGRITY_CHECK_FAILED
   * when a row promises local bytes that are gone.
   */
  readAt(
    payloadId: string,
    dest: Uint8Array,
    offset: number,
    options?: AbortOptions,
  ): Promise<LocalReadResult>
  /**
   * Writes bytes (copied) and extends the payload size.
   * @throws {BlockStoreError} BS_REMOTE_UNAVAILABLE when a partial write needs remote bytes that
   * cannot be loaded; BS_STORAGE_FULL when no space can be made; BS_INVALID_OFFSET.
   */
  writeAt(
    payloadId: string,
    data: Uint8Array,
    offset: number,
    options?: AbortOptions,
  ): Promise<void>
  /**
   * Sets the size (POSIX): shrinking drops blocks past the end and zeroes the boundary tail.
   * @throws {BlockStoreError} BS_INVALID_SIZE; BS_REMOTE_UNAVAILABLE (boundary block not loadable).
   */
  truncate(payloadId: string, size: number, options?: AbortOptions): Promise<void>
  /** Removes block files, rows (reporting dropped references first) and the payload record. */
  delete(payloadId: string, options?: AbortOptions): Promise<void>
  /**
   * Makes the payload durable: block bytes on the medium (fsynced unless disabled), Dirty rows
   * turned Local, payload record stored. Returns the blocks written.
   * @throws {BlockStoreError} BS_STORAGE_FULL when a buffer cannot be written for lack of space.
   */
  flush(payloadId: string, options?: AbortOptions): Promise<FlushedBlock[]>
  /** Size in bytes, or `undefined` when the payload is unknown (memory first, then metadata). */
  getFileSize(payloadId: string, options?: AbortOptions): Promise<number | undefined>
  /** True when the block's bytes are held locally (buffer or file). */
  isBlockLocal(payloadId: string, blockIdx: number, options?: AbortOptions): Promise<boolean>
  /**
   * A copy of a locally held block's valid bytes.
   * @throws {BlockStoreError} BS_BLOCK_NOT_FOUND when not held locally.
   */
  getBlockData(payloadId: string, blockIdx: number, options?: AbortOptions): Promise<Uint8Array>
  /**
   * The block's bytes and row, read together under the block lock (for upload).
   * @throws {BlockStoreError} BS_BLOCK_NOT_FOUND when not held locally or without a row.
   */
  readBlockSnapshot(
    payloadId: string,
    blockIdx: number,
    options?: SnapshotOptions,
  ): Promise<BlockSnapshot>
  /**
   * Caches fetched bytes of a Remote block (space made by eviction). Returns false, changing
   * nothing, when the block is already local or its row is not Remote with a key.
   * @throws {BlockStoreError} BS_STORAGE_FULL when no space can be made.
   */
  writeFromRemote(
    payloadId: string,
    blockIdx: number,
    data: Uint8Array,
    options?: AbortOptions,
  ): Promise<boolean>
  /**
   * Drops the local copy of a block whose row is Remote with a key; false (nothing changed)
   * for any other block.
   */
  evictBlock(payloadId: string, blockIdx: number, options?: AbortOptions): Promise<boolean>
  /**
   * Makes a block of an existing payload reference a remote object in one row commit,
   * whatever it held before (the copy of a safely remote block: nothing is transferred). Its
   * local bytes are dropped after the commit; the payload grows to cover the block. Returns
   * the Remote row stored.
   * @throws {BlockStoreError} BS_CONTENT_NOT_FOUND when the payload does not exist; BS_BUSY
   * when garbage collection is deleting that object (nothing changed).
   */
  shareRemoteBlock(
    payloadId: string,
    blockIdx: number,
    source: RemoteBlockRef,
    options?: AbortOptions,
  ): Promise<FileBlock>

  /**
   * Replaces a block of an existing payload with exactly `data` (empty: a hole), whatever it
   * held, in one atomic step: after a kill the block is either as it was or `data`, never a
   * mix or a hole in between. The old bytes are never loaded (no remote I/O). Not durable
   * until the next flush; the payload grows to cover the block.
   * @throws {BlockStoreError} BS_CONTENT_NOT_FOUND when the payload does not exist;
   * BS_STORAGE_FULL when no space can be made.
   */
  replaceBlock(
    payloadId: string,
    blockIdx: number,
    data: Uint8Array,
    options?: AbortOptions,
  ): Promise<void>

  /**
   * Makes `dst` what `src` is and removes `src`, replacing whatever `dst` held, in one metadata
   * commit ({@link MetadataStore.renamePayload}). `src` is flushed first; unflushed changes of
   * `dst` are discarded. Local block copies are moved, not copied. Durable when it returns, and
   * crash-safe: after a kill at any point `dst` is entirely as it was or entirely `src`'s
   * content, and `src` is either whole or gone.
   * @throws {BlockStoreError} BS_CONTENT_NOT_FOUND (unknown `src`); BS_INVALID_ARGUMENT
   * (`src === dst`); BS_INTEGRITY_CHECK_FAILED (a block of `src` promises local bytes that are
   * gone); BS_CONCURRENT_MODIFICATION (uploads kept changing `src`'s rows); nothing changed.
   */
  renamePayload(src: string, dst: string, options?: AbortOptions): Promise<void>

  /**
   * Replaces the whole content of `payloadId` (created when absent) with `data` in one durable
   * step, when this store can do that cheaply (a journaled store and a small `data`): durable
   * when it resolves `'created'` (the payload existed nowhere before) or `'replaced'`, and
   * crash-safe like {@link renamePayload} (after a kill the payload is entirely as it was or
   * entirely `data`). Resolves `false`, having changed nothing, when it cannot; the caller then
   * stages the content and renames it. Unflushed changes of the payload are discarded.
   * @throws {BlockStoreError} BS_STORAGE_FULL (nothing changed); BS_UNAVAILABLE when the
   * replacement was committed but could not be applied (the payload is then refused until the
   * store is reopened, which finishes it).
   */
  resetPayload?(
    payloadId: string,
    data: Uint8Array,
    options?: AbortOptions,
  ): Promise<'created' | 'replaced' | false>
  /**
   * The payload's size and times as this store knows them, or `undefined` when the payload is
   * unknown; without a query when the payload is in memory. The times are the stored record's
   * while it is current; a payload changed since its last flush reports `modifiedAt` as now
   * (a weak validator must change with every unflushed write). Optional: without it the
   * engine reads the record from the metadata store.
   */
  statPayload?(payloadId: string, options?: AbortOptions): Promise<PayloadRecord | undefined>

  /**
   * Payload IDs tracked in memory. The engine's stats count the staging payloads of
   * replacements in progress from it (src/engine/stats.ts).
   */
  listFiles(): string[]
  stats(): LocalStoreStats
  /** Suspends or resumes eviction; while suspended, writers over the cap fail fast. */
  setEvictionEnabled(enabled: boolean): void
  /** Probes the store; never throws. */
  healthcheck(options?: AbortOptions): Promise<HealthReport>
  /** Writes no buffer, waits for in-flight calls and releases handles. Idempotent. */
  close(): Promise<void>
}
