/**
 * BlockStore: the engine's public contract (the seed's `Store`: Reader, Writer, Flusher,
 * stats, health, close), composed from a LocalStore, an optional RemoteStore, a MetadataStore,
 * a syncer and a read buffer. Every method validates its input first: bad input gets a
 * BlockStoreError with a stable code and changes nothing.
 */
import type { AbortOptions } from './abort.js'
import type { FlushResult } from './block.js'
import type { GarbageCollectionOptions, GarbageCollectionResult } from './gc.js'
import type { HealthReport } from './health.js'
import type { ListPayloadsOptions, PayloadPage, PayloadRecord } from './metadata-store.js'

/** Per-block upload failure reported by a drain. */
export interface DrainFailure {
  readonly blockId: string
  readonly code: string
  readonly message: string
}

/** What {@link BlockStore.drainAllUploads} did. */
export interface DrainReport {
  readonly uploaded: number
  readonly deduplicated: number
  readonly bytesUploaded: number
  /** Blocks that could not be uploaded (each with its error); empty on full success. */
  readonly failed: readonly DrainFailure[]
  readonly durationMs: number
}

/** Options of {@link BlockStore.evict}. */
export interface EvictOptions extends AbortOptions {
  /** Clear the read buffer (default true). */
  readonly readBuffer?: boolean | undefined
  /** Drop local copies of blocks that are safely remote (default true). Never unsynced data. */
  readonly local?: boolean | undefined
  /** Only this payload (default: all). */
  readonly payloadId?: string | undefined
}

/** What {@link BlockStore.evict} freed. */
export interface EvictReport {
  readonly readBufferEntriesCleared: number
  readonly localBlocksEvicted: number
  readonly bytesFreed: number
}

/** Engine statistics (the Go reference's figures plus counters of this implementation). */
export interface BlockStoreStats {
  /** Payloads tracked by the local store. */
  readonly fileCount: number
  /** Blocks by where their bytes physically are: dirty = written, not yet flushed. */
  readonly blocksDirty: number
  /** Flushed locally, not yet uploaded (Local + Syncing). */
  readonly blocksLocal: number
  /** Safely remote (a local copy may also exist). */
  readonly blocksRemote: number
  /** Remote blocks that also have a local copy. */
  readonly blocksRemoteCached: number
  readonly blocksTotal: number
  readonly localDiskUsed: number
  /** 0 = unlimited. */
  readonly localDiskMax: number
  readonly localMemUsed: number
  readonly localMemMax: number
  readonly readBufferEntries: number
  readonly readBufferUsed: number
  readonly readBufferMax: number
  readonly readBufferHits: number
  readonly readBufferMisses: number
  readonly prefetchHits: number
  readonly hasRemote: boolean
  readonly remoteHealthy: boolean
  /** hasRemote && !remoteHealthy. */
  readonly evictionSuspended: boolean
  readonly outageDurationSeconds: number
  readonly offlineReadsBlocked: number
  /** Blocks or ranges fetched from the remote whose bytes did not match their hash (refused). */
  readonly integrityFailures: number
  /** Age in ms of the oldest byte not yet safely remote (0 when none): what a dead disk would lose. */
  readonly oldestUnuploadedAgeMs: number
  readonly uploadsCompleted: number
  readonly uploadsFailed: number
  readonly uploadsInFlight: number
  readonly dedupHits: number
  readonly bytesUploaded: number
  readonly bytesDownloaded: number
  /** Remote requests by kind (put, get, list, ...). */
  readonly remoteRequests: Readonly<Record<string, number>>
  /** Totals for the seed's `Stats`: capacity, used, available, content count, average size. */
  readonly totalSize: number
  readonly usedSize: number
  readonly availableSize: number
  readonly contentCount: number
  readonly averageSize: number
}

/** Options of {@link BlockStore.flushMany} and {@link BlockStore.flushAll}. */
export interface FlushManyOptions extends AbortOptions {
  /**
   * Most payload flushes in flight at once (default `DefaultFlushConcurrency`, 32). Flushes
   * running together share their syncs underneath, so a batch is cheaper than one at a time.
   */
  readonly concurrency?: number | undefined
}

/** One payload a batch flush made durable. */
export interface PayloadFlushResult extends FlushResult {
  readonly payloadId: string
}

/** One payload a batch flush could not make durable; its bytes stay in the local tier. */
export interface PayloadFlushFailure {
  readonly payloadId: string
  /** The stable error code (`BS_INTERNAL` for an error that is not a BlockStoreError). */
  readonly code: string
  readonly message: string
  /** The error itself, for logs (not serialised). */
  readonly error: unknown
}

/**
 * What a batch flush did, payload by payload. Every payload of the batch is in exactly one of
 * the two lists: a payload in `results` is durable (as {@link BlockStore.flush} would have
 * made it), one in `failures` is not. The batch succeeded as a whole iff `failures` is empty.
 */
export interface FlushManyResult {
  /** Payloads made durable, in the order they were given (for flushAll: by ID). */
  readonly results: readonly PayloadFlushResult[]
  /** Payloads whose flush failed, in the same order. */
  readonly failures: readonly PayloadFlushFailure[]
}

/**
 * A whole-payload replacement being written (from {@link BlockStore.beginReplace}): its bytes go
 * to a hidden staging payload, invisible until {@link PayloadReplacement.commit} puts them in
 * place in one step. Until then the payload keeps its old content for readers and crashes.
 */
export interface PayloadReplacement {
  /** The payload replaced on commit. */
  readonly payloadId: string
  /**
   * Writes into the new content (gaps read as zeros).
   * @throws {BlockStoreError} like {@link BlockStore.writeAt}; BS_INVALID_ARGUMENT once committed
   * or aborted.
   */
  writeAt(data: Uint8Array, offset: number, options?: AbortOptions): Promise<void>
  /**
   * Flushes the new content durably, then renames it onto the payload
   * ({@link BlockStore.renamePayload}). Returns the new size, whether the payload was created
   * by this commit (it did not exist before) and the flush result. On failure the staged
   * content is discarded and the payload is as it was.
   * @throws {BlockStoreError} like {@link BlockStore.flush}; BS_INVALID_ARGUMENT when called twice.
   */
  commit(
    options?: AbortOptions,
  ): Promise<FlushResult & { readonly size: number; readonly created: boolean }>
  /** Discards the new content; the payload is untouched. Idempotent; a no-op after commit. */
  abort(): Promise<void>
}

/** The block storage engine. */
export interface BlockStore extends AsyncDisposable {
  /**
   * Reads into `dest` at `offset`; returns the bytes read, stopping at the payload's size
   * (0 at or past the end). Holes read as zeros; present bytes are never replaced by zeros.
   * @throws {BlockStoreError} BS_CONTENT_NOT_FOUND (unknown payload), BS_REMOTE_UNAVAILABLE,
   * BS_BLOCK_NOT_FOUND / BS_INTEGRITY_CHECK_FAILED (remote copy missing or corrupt),
   * BS_INVALID_OFFSET, BS_INVALID_PAYLOAD_ID.
   */
  readAt(
    payloadId: string,
    dest: Uint8Array,
    offset: number,
    options?: AbortOptions,
  ): Promise<number>
  /**
   * Like {@link readAt}, but bytes of blocks the primary payload does not have yet are read
   * from `cowSource`. They are served, never written into the primary, so a concurrent write
   * to the primary is never lost to stale source bytes. An empty `cowSource` is a plain read.
   */
  readAtWithCOWSource(
    payloadId: string,
    cowSource: string,
    dest: Uint8Array,
    offset: number,
    options?: AbortOptions,
  ): Promise<number>
  /** @throws {BlockStoreError} BS_CONTENT_NOT_FOUND for an unknown payload. */
  getSize(payloadId: string, options?: AbortOptions): Promise<number>
  /** The payload's record (size and times). @throws BS_CONTENT_NOT_FOUND. */
  stat(payloadId: string, options?: AbortOptions): Promise<PayloadRecord>
  exists(payloadId: string, options?: AbortOptions): Promise<boolean>
  /**
   * Writes at `offset` (creating the payload), extending the size; gaps read as zeros.
   * @throws {BlockStoreError} BS_STORAGE_FULL, BS_REMOTE_UNAVAILABLE (partial write into a
   * remote-only block while the remote is down), BS_INVALID_OFFSET, BS_TOO_LARGE.
   */
  writeAt(
    payloadId: string,
    data: Uint8Array,
    offset: number,
    options?: AbortOptions,
  ): Promise<void>
  /** Sets the size with POSIX meaning (creating the payload when absent). */
  truncate(payloadId: string, size: number, options?: AbortOptions): Promise<void>
  /** Removes the payload and releases its blocks. @throws BS_CONTENT_NOT_FOUND. */
  delete(payloadId: string, options?: AbortOptions): Promise<void>
  /**
   * Makes `dst` a copy of `src` (replacing `dst`), sharing remote blocks by reference.
   * Returns the number of blocks copied. @throws BS_CONTENT_NOT_FOUND for an unknown `src`.
   */
  copyPayload(src: string, dst: string, options?: AbortOptions): Promise<number>
  /**
   * Makes `dst` what `src` is and removes `src`, replacing `dst` if it exists, in one atomic,
   * crash-safe step: `src` is flushed, then its blocks and record move to `dst` in a single
   * metadata commit (local block files are moved, remote blocks keep their objects). Readers and
   * a kill at any point see `dst` entirely old or entirely new, never a mix, never empty. Durable
   * when it returns (under `durability: 'remote'`, uploaded too). Unflushed writes to `dst`
   * made before the call are discarded with its old content. `src === dst` only checks that it
   * exists.
   * @throws {BlockStoreError} BS_CONTENT_NOT_FOUND (unknown `src`), BS_INVALID_PAYLOAD_ID,
   * BS_INVALID_ARGUMENT (a reserved ID), BS_INTEGRITY_CHECK_FAILED (a block of `src` has lost
   * its bytes); nothing changed.
   */
  renamePayload(src: string, dst: string, options?: AbortOptions): Promise<void>
  /**
   * Starts a whole-payload replacement of `payloadId` (which need not exist): see
   * {@link PayloadReplacement}. Nothing is visible until it is committed.
   * @throws {BlockStoreError} BS_INVALID_PAYLOAD_ID, BS_INVALID_ARGUMENT (a reserved ID).
   */
  beginReplace(payloadId: string, options?: AbortOptions): Promise<PayloadReplacement>
  /**
   * Returns once the payload is durable (locally, or remotely under `durability: 'remote'`);
   * `finalized` is true when every block is safely remote.
   * @throws {BlockStoreError} BS_CONTENT_NOT_FOUND.
   */
  flush(payloadId: string, options?: AbortOptions): Promise<FlushResult>
  /**
   * Flushes several payloads, concurrently (bounded by `concurrency`), each exactly as
   * {@link flush} would (`durability: 'remote'` included). Duplicate IDs are flushed once.
   * Every ID is checked before anything is flushed: a malformed or reserved ID rejects the
   * whole call and flushes nothing. Per-payload failures (an unknown payload is
   * BS_CONTENT_NOT_FOUND, a full disk BS_STORAGE_FULL, ...) do not stop the others: the call
   * resolves with each payload's outcome, and the batch succeeded iff `failures` is empty.
   * An abort stops starting new flushes and rejects with the abort reason once the running
   * ones settled (payloads flushed by then are durable, but the call acknowledges none).
   * @throws {BlockStoreError} BS_INVALID_PAYLOAD_ID, BS_INVALID_ARGUMENT (a reserved ID, a
   * bad `concurrency`, `ids` not an array), BS_STORE_CLOSED.
   */
  flushMany(ids: readonly string[], options?: FlushManyOptions): Promise<FlushManyResult>
  /**
   * Flushes every payload with changes not yet flushed through this engine (writes,
   * truncates, copies; a size change without a block write counts too), like
   * {@link flushMany}. Changes that completed before the call are covered; a payload deleted
   * meanwhile is skipped (it has nothing left to make durable). Results are ordered by ID.
   * @throws {BlockStoreError} BS_INVALID_ARGUMENT (a bad `concurrency`), BS_STORE_CLOSED.
   */
  flushAll(options?: FlushManyOptions): Promise<FlushManyResult>
  /** Uploads every flushed block now; per-block failures are in the report. */
  drainAllUploads(options?: AbortOptions): Promise<DrainReport>
  /** Pages through payloads in ascending ID order (the engine's reserved IDs never appear). */
  listPayloads(options?: ListPayloadsOptions): Promise<PayloadPage>
  stats(options?: AbortOptions): Promise<BlockStoreStats>
  /** healthy; degraded (remote down: local reads and all writes work); unhealthy (local down). */
  healthcheck(options?: AbortOptions): Promise<HealthReport>
  /** Frees memory and local disk without ever dropping data that is not safely remote. */
  evict(options?: EvictOptions): Promise<EvictReport>
  /**
   * Deletes remote objects no row references and older than the grace period (mark and
   * sweep over every payload of the metadata store, all nodes included; docs/gc.md).
   * @throws {BlockStoreError} BS_BUSY (another run holds the lock), BS_NOT_SUPPORTED (no
   * remote store), BS_INVALID_CONFIG (bad options), the mark's error (nothing deleted).
   */
  collectGarbage(options?: GarbageCollectionOptions): Promise<GarbageCollectionResult>
  /** True when a remote store is configured. */
  readonly hasRemote: boolean
  /**
   * True when the local tier is durable (a returned flush survives a process kill on its
   * own). When false (memory local store, or fsync disabled), flush uploads the payload
   * before returning, and fails while the remote is down rather than acknowledge bytes that
   * are not durable anywhere.
   */
  readonly localDurable: boolean
  /** Stops background work, waits for in-flight calls, closes the stores. Idempotent. */
  close(): Promise<void>
}
