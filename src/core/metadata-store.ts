/**
 * MetadataStore: where every block record and payload record lives. It is the source of
 * truth for which bytes exist where, so it must be exact, durable and safe under concurrency.
 */
import type { AbortOptions } from './abort.js'
import type { FileBlock } from './block.js'
import type { ContentHash } from './hash.js'

/** Block rows by state and payload records, as counted by `MetadataStore.countBlocks`. */
export interface BlockCounts {
  readonly dirty: number
  /** Local and Syncing rows (bytes local, not yet confirmed remote). */
  readonly local: number
  readonly remote: number
  /** Remote rows that also have a local copy. */
  readonly remoteCached: number
  /** Oldest `lastAccess` of a row not yet Remote; `undefined` when there is none. */
  readonly oldestUnsyncedAccess: number | undefined
  /** Payload records. */
  readonly payloads: number
}

/** What a metadata store can do beyond the contract. */
export interface MetadataStoreCapabilities {
  /** Rows survive close and reopen (and a process kill once a call has returned). */
  readonly persistent: boolean
  /** Several processes or nodes may share the store at once. */
  readonly shared: boolean
}

/** A payload's own record: its size and times, so size and existence never need the remote. */
export interface PayloadRecord {
  readonly id: string
  /** Size in bytes. */
  readonly size: number
  /** Creation time, ms since the Unix epoch. */
  readonly createdAt: number
  /** Last modification time, ms since the Unix epoch. */
  readonly modifiedAt: number
}

/** Options of {@link MetadataStore.listPayloads}. */
export interface ListPayloadsOptions extends AbortOptions {
  /** Only IDs starting with this string (plain string prefix). */
  readonly prefix?: string | undefined
  /** Resume after this cursor (from a previous page's `nextCursor`). */
  readonly cursor?: string | undefined
  /** Page size; default 1000, at most 10000. */
  readonly limit?: number | undefined
}

/** One page of payload records, in ascending ID order (by UTF-8 bytes). */
export interface PayloadPage {
  readonly items: PayloadRecord[]
  /** Cursor of the next page; absent on the last page. */
  readonly nextCursor?: string | undefined
}

/**
 * The store-wide garbage collection lock, held by one run at a time across every process and
 * node sharing the store. Deletion fences can only be placed by the holder.
 */
export interface GcLock {
  /**
   * Atomically: when no row references `key`, records a deletion fence on it and resolves
   * `true`; otherwise resolves `false` and changes nothing. While a key is fenced, every
   * put of a row carrying it rejects with BS_BUSY, so no new reference can appear.
   * @throws {BlockStoreError} BS_UNAVAILABLE when the lock was lost or the store failed.
   */
  fenceUnreferenced(key: string, options?: AbortOptions): Promise<boolean>
  /** Removes a fence; a missing fence is not an error. */
  unfence(key: string, options?: AbortOptions): Promise<void>
  /** Keys fenced now: leftovers of a run that died between fence and unfence. */
  fencedKeys(options?: AbortOptions): Promise<string[]>
  /** Releases the lock (idempotent). Fences stay until removed. */
  release(): Promise<void>
}

/** Options of the mutations a caller may let become durable later ({@link MetadataStore.sync}). */
export interface CommitOptions extends AbortOptions {
  /**
   * The caller needs the commit visible now but durable only by the next
   * {@link MetadataStore.sync}, because losing it in a crash loses nothing: it holds its own
   * durable record of the change (the fs local tier's flush journal, whose replay redoes it),
   * or the change is redone anyway (an upload's row commits: the block is uploaded again). The
   * call then returns without waiting for the store's own sync. A store without `sync` ignores it and makes the commit durable before returning.
   * Commits still become durable in the order they were made, so a later commit that is
   * durable implies every earlier one is.
   */
  readonly deferSync?: boolean | undefined
}

/** Options of {@link MetadataStore.deleteFileBlock}. */
export interface DeleteFileBlockOptions extends AbortOptions {
  /**
   * Delete only while the row still has this version. When it does not, nothing changes and
   * the call resolves to `false`.
   */
  readonly ifVersion?: number | undefined
}

/** Options of {@link MetadataStore.renamePayload}. */
export interface RenamePayloadOptions extends AbortOptions {
  /**
   * The source's rows as the caller read them: block index -> row version. The rename happens
   * only while the source has exactly these rows at exactly these versions (a compare-and-set
   * over the whole payload); otherwise nothing changes and the call resolves to `false`.
   */
  readonly expectedVersions: ReadonlyMap<number, number>
  /** New `localPath` of moved rows, by block index (others keep theirs). */
  readonly localPaths?: ReadonlyMap<number, string> | undefined
}

/**
 * Block and payload records.
 *
 * Rules for every implementation (checked by `describeMetadataStore`):
 * - returned rows are copies; mutating them never changes the store;
 * - every successful mutation of a row (put, compare-and-put, reference count change) stores
 *   a greater version, so compare-and-set callers can detect any concurrent change;
 * - a version is never stored twice for one ID, even when the row is deleted and created
 *   again (by a put or a rename): a compare-and-set prepared against the deleted row (an
 *   upload that claimed it) must lose against the new one, whatever it went through;
 * - reference counts never go below 0;
 * - block IDs are `"{payloadId}/{idx}"` with payload IDs that may contain `/`;
 * - all backends store and return byte-identical rows (hash persisted whenever non-zero,
 *   independent of state);
 * - a put (plain or compare-and-set) of a row whose `blockStoreKey` is fenced by garbage
 *   collection ({@link GcLock.fenceUnreferenced}) rejects with BS_BUSY and changes nothing.
 */
export interface MetadataStore extends AsyncDisposable {
  readonly capabilities: MetadataStoreCapabilities
  /** Backend name, e.g. "memory", "sqlite", "postgres". */
  readonly backend: string

  /** @throws {BlockStoreError} BS_FILE_BLOCK_NOT_FOUND when absent. */
  getFileBlock(id: string, options?: AbortOptions): Promise<FileBlock>
  /**
   * The row, or `undefined` when absent: for callers to whom absence is the normal case (every
   * first write of a block asks), where building and throwing an error cost about 2 % of the
   * CPU of small writes. Optional: without it callers fall back to {@link getFileBlock}.
   */
  findFileBlock?(id: string, options?: AbortOptions): Promise<FileBlock | undefined>
  /**
   * Upserts a row unconditionally (every column) and returns the stored copy (new version).
   * Prefer {@link compareAndPutFileBlock} for state transitions.
   * @throws {BlockStoreError} BS_BUSY when the row's remote key is fenced for deletion.
   */
  putFileBlock(block: FileBlock, options?: AbortOptions): Promise<FileBlock>
  /**
   * Stores `block` only if the current row's version equals `expectedVersion` (0: the row must
   * not exist). Returns the stored copy, or `undefined` when the precondition failed, in
   * which case nothing changed (the caller lost a race).
   * @throws {BlockStoreError} BS_BUSY when the row's remote key is fenced for deletion.
   */
  compareAndPutFileBlock(
    block: FileBlock,
    expectedVersion: number,
    options?: CommitOptions,
  ): Promise<FileBlock | undefined>
  /**
   * Deletes a row. Resolves to `true` when deleted, `false` when `ifVersion` did not match.
   * @throws {BlockStoreError} BS_FILE_BLOCK_NOT_FOUND when absent.
   */
  deleteFileBlock(id: string, options?: DeleteFileBlockOptions): Promise<boolean>
  /**
   * Atomically adds one reference; returns the new count.
   * @throws {BlockStoreError} BS_FILE_BLOCK_NOT_FOUND when absent.
   */
  incrementRefCount(id: string, options?: AbortOptions): Promise<number>
  /**
   * Atomically removes one reference (never below 0); returns the new count.
   * @throws {BlockStoreError} BS_FILE_BLOCK_NOT_FOUND when absent.
   */
  decrementRefCount(id: string, options?: AbortOptions): Promise<number>
  /**
   * A dedup donor: a row that is Remote (legacy rule included) and whose CURRENT hash equals
   * `hash`; `undefined` when there is none. Never returns a row whose hash changed.
   */
  findFileBlockByHash(hash: ContentHash, options?: AbortOptions): Promise<FileBlock | undefined>
  /**
   * Rows in state Local with a local path, last accessed more than `olderThanMs` ago
   * (`olderThanMs <= 0`: no age filter), oldest access first; `limit <= 0`: all.
   */
  listLocalBlocks(olderThanMs: number, limit: number, options?: AbortOptions): Promise<FileBlock[]>
  /** Rows in state Remote with a local path, oldest access first; `limit <= 0`: all. */
  listRemoteBlocks(limit: number, options?: AbortOptions): Promise<FileBlock[]>
  /**
   * Rows in any state whose local path starts with `prefix`, in block ID byte order; `limit
   * <= 0`: all. A local tier finds this way, at open, every row naming one of its packed
   * records, Dirty and Syncing ones included.
   */
  listBlocksByLocalPath(prefix: string, limit: number, options?: AbortOptions): Promise<FileBlock[]>
  /** Rows with reference count 0; `limit <= 0`: all. */
  listUnreferenced(limit: number, options?: AbortOptions): Promise<FileBlock[]>
  /** All rows of a payload, ordered by numeric block index; `[]` when none. */
  listFileBlocks(payloadId: string, options?: AbortOptions): Promise<FileBlock[]>
  /**
   * Every non-empty remote key referenced by any row (each key at least once), streamed in
   * pages, never loaded whole. Used by garbage collection to mark the live set; any error
   * is thrown, never swallowed.
   */
  referencedRemoteKeys(options?: AbortOptions): AsyncIterable<string>
  /**
   * Takes the garbage collection lock without waiting; `undefined` when another run (in this
   * or another process or node) holds it. A holder that dies releases it.
   */
  tryAcquireGcLock(options?: AbortOptions): Promise<GcLock | undefined>

  /**
   * Counts block rows by state and payload records in one pass inside the store (for
   * statistics and metrics: never a query per payload).
   */
  countBlocks(options?: AbortOptions): Promise<BlockCounts>

  /** A payload's record, or `undefined`. */
  getPayload(id: string, options?: AbortOptions): Promise<PayloadRecord | undefined>
  /** Upserts a payload's record. */
  putPayload(record: PayloadRecord, options?: CommitOptions): Promise<void>
  /** Deletes a payload's record; `false` when there was none. Block rows are not touched. */
  deletePayload(id: string, options?: AbortOptions): Promise<boolean>
  /** Pages through payload records in ascending ID order. */
  listPayloads(options?: ListPayloadsOptions): Promise<PayloadPage>
  /**
   * Moves payload `src` onto `dst` in one transaction: every row and the record of `dst` are
   * dropped, every row of `src` is re-keyed to the same block index of `dst`, and `src`'s record
   * becomes `dst`'s. Readers and a crash see all of it or none of it.
   *
   * A moved row keeps every column except its ID, its `localPath` when
   * `options.localPaths` names one, and its version, which becomes greater than the source
   * row's and than any the `dst` ID ever had: a compare-and-set prepared against an old row
   * can never succeed on the new one. A Syncing row is moved as Local with no hash and no remote
   * key: the upload that claimed it can no longer commit under the old ID, so its claim is
   * released as a failed upload would release it, and the block is uploaded again later.
   * The remote keys a moved row carries are referenced throughout (by the source row until
   * the commit, by the moved row after it), so garbage collection can never fence them.
   *
   * Resolves `false`, changing nothing, when `src` has no record or its rows differ from
   * `options.expectedVersions`.
   * @throws {BlockStoreError} BS_INVALID_ARGUMENT when `src === dst`; BS_INVALID_PAYLOAD_ID.
   */
  renamePayload(src: string, dst: string, options: RenamePayloadOptions): Promise<boolean>

  /**
   * Makes every commit that has returned so far durable, those made with
   * {@link CommitOptions.deferSync} included. Absent on stores whose commits are durable when
   * they return (or never durable, as in memory).
   * @throws {BlockStoreError} BS_UNAVAILABLE when the store could not be synced.
   */
  sync?(): Promise<void>

  /** Releases connections and handles. Idempotent; later calls fail with BS_STORE_CLOSED. */
  close(): Promise<void>
}
