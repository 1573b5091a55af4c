/**
 * BlockMedium: where a local tier keeps block bytes that are not in a write buffer (block
 * files on disk, or memory). The tier owns locking and accounting; a medium only moves bytes.
 * Every call about one block is made under that block's lock.
 */
import type { AbortOptions } from '../../../core/abort.js'

/**
 * The whole content of one block as a journaled flush makes it durable, with the payload's size
 * and modification time that flush stores: the flush's metadata commit is made durable only
 * later, so until then the record is what recovery redoes it from.
 */
export interface JournaledBlock {
  readonly payloadId: string
  readonly blockIdx: number
  readonly data: Uint8Array
  readonly payloadSize: number
  readonly modifiedAt: number
  /**
   * The payload's whole content from this record on (block 0, `payloadSize` bytes): recovery
   * drops its earlier records and every other block, and sets its size exactly.
   */
  readonly reset?: boolean | undefined
}

/**
 * A log that makes small flushes durable with one shared sync (see the fs store's
 * flush-journal.ts). Its records override the block files at recovery until a checkpoint
 * retires them, so any other durable change to a block must call {@link BlockJournal.barrier}
 * for its payload first.
 */
export interface BlockJournal {
  /** True while the payload has records not yet retired. */
  has(payloadId: string): boolean
  /**
   * Resolves once the records are durable, with a receipt telling whether a checkpoint is still
   * to come for them (see {@link JournalReceipt}).
   */
  append(records: readonly JournaledBlock[], options?: AppendOptions): Promise<JournalReceipt>
  /** Returns once no record of the payload is left to replay. */
  barrier(payloadId: string): Promise<void>
  /** Retires every record appended so far. */
  checkpoint(): Promise<void>
  /** Ends the hold on a record appended `asCopies`, once its taker has decided. */
  releasePlace?(place: string): void
}

/** Options of {@link BlockJournal.append}. */
export interface AppendOptions {
  /**
   * The records are to become their blocks' copies (docs/design-packs.md): each is held from
   * the moment it is written, so no checkpoint recycles its generation while the caller
   * decides, and the caller must end every hold with {@link BlockJournal.releasePlace} once
   * it has handed the place (see {@link JournalReceipt.placeOf}) to the medium, or not.
   */
  readonly asCopies?: boolean | undefined
}

/**
 * What an append returns. A journaled flush writes its block files and commits its rows after
 * its records are durable, counting on a later checkpoint to make both durable before it
 * retires the records. A checkpoint that started in between has already synced the files and
 * the metadata store, so it covers none of what came after: the flush must then make its own
 * files and commits durable before it returns, or a power loss would find neither the records
 * nor what they stood for.
 */
export interface JournalReceipt {
  /** True while no checkpoint has started retiring these records (asked once per flush). */
  covered(): boolean
  /**
   * Where the record of `record` (one of those appended) is: `pack:<generation>:<offset>:
   * <length>`, the `localPath` of a block whose copy the record is (docs/design-packs.md).
   */
  placeOf?(record: JournaledBlock): string | undefined
}

/** Options of {@link BlockMedium.sync}. */
export interface SyncOptions extends AbortOptions {
  /**
   * `false`: the files' bytes only, not their directory entries. For a staging payload, whose
   * names never matter: its rename links the files under the target's names and makes those
   * entries durable before its commit, and a staging payload that is never renamed is a
   * leftover whatever survives of it.
   */
  readonly names?: boolean | undefined
}

/** What a row says of its block's local copy: where it is and how many bytes it holds. */
export interface RowCopy {
  readonly localPath: string
  readonly dataSize: number
}

/** Storage of block copies for a local tier. */
export interface BlockMedium {
  /** The flush journal, on durable media that have one. */
  readonly journal?: BlockJournal | undefined
  /** "fs" or "memory". */
  readonly backend: string
  /** True when `sync` makes bytes survive a process kill. */
  readonly durable: boolean
  /** The `localPath` recorded in rows for this block. */
  localPath(payloadId: string, blockIdx: number): string
  /**
   * True when a journaled flush may make its records the blocks' copies instead of writing
   * their files (docs/design-packs.md): append `asCopies`, then {@link BlockMedium.takeRecord}.
   */
  readonly recordCopies?: boolean | undefined
  /**
   * Makes the record at `place` the block's copy (see {@link BlockMedium.recordCopies}); a
   * file that was the copy (`hadCopy` and no record) is removed: from the record's append on,
   * the replay rewrites it from the record if a crash comes before the row names the record.
   */
  takeRecord?(payloadId: string, blockIdx: number, place: string, hadCopy: boolean): Promise<void>
  /** True when the block's copy is a record (see {@link BlockMedium.recordCopies}). */
  hasRecord?(payloadId: string, blockIdx: number): boolean
  /**
   * Bytes the medium holds beyond its blocks' copies (dead records in packs): they count
   * against the disk cap like copies, until the tier's `reclaim` hook gives them back.
   */
  overheadBytes?(): number
  /**
   * Reads `length` bytes at `blockOffset` into `dest[destOffset...]`, zero-filling past the
   * end of the copy. Returns how many bytes the copy really had (0 when it is missing), so the
   * tier can tell a copy damaged behind its back from a sparse tail.
   */
  read(
    payloadId: string,
    blockIdx: number,
    dest: Uint8Array,
    destOffset: number,
    blockOffset: number,
    length: number,
  ): Promise<number>
  /** Writes `data` at `blockOffset`, creating the copy when absent (gaps read as zeros). */
  write(payloadId: string, blockIdx: number, data: Uint8Array, blockOffset: number): Promise<void>
  /** Replaces the whole copy with `data`. */
  replace(payloadId: string, blockIdx: number, data: Uint8Array): Promise<void>
  /**
   * Writes the first copy of a block the tier holds no copy of: like `replace` but in place,
   * without a temporary file (a kill midway leaves a partial copy of bytes never acknowledged).
   */
  create?(payloadId: string, blockIdx: number, data: Uint8Array): Promise<void>
  /**
   * Durable media only: writes `data` as the block's next content beside its copy and makes it
   * durable (file and directory entry); returns the path to record in the block's Dirty row.
   * Recovery promotes it when that row is Dirty and names it (a kill between the row commit
   * and {@link BlockMedium.commitStaged}); any other staged file is a leftover.
   */
  stage?(
    payloadId: string,
    blockIdx: number,
    data: Uint8Array,
    options?: AbortOptions,
  ): Promise<string>
  /** Moves the staged content over the block's copy (an atomic rename). */
  commitStaged?(payloadId: string, blockIdx: number): Promise<void>
  /** Removes a staged content (missing is fine). */
  discardStaged?(payloadId: string, blockIdx: number): Promise<void>
  /**
   * For a payload rename: makes the copy of block `blockIdx` of `src` available as the next
   * copy of the same block of `dst`, without copying bytes where the medium allows it (a hard
   * link), and returns the path to record in the row the rename moves to `dst`: a name used once
   * (a stale row still naming an earlier rename's link can never name this one). The entry is
   * made durable by the next {@link BlockMedium.sync} of `dst`. Recovery moves it into place
   * when that row names it (a kill between the rename's commit and
   * {@link BlockMedium.commitRenamed}); any other such file is a leftover of a rename that
   * never committed.
   */
  linkRenamed(src: string, dst: string, blockIdx: number, options?: AbortOptions): Promise<string>
  /** Moves the linked copy at `linked` (as returned) over the block's copy (an atomic rename). */
  commitRenamed(payloadId: string, blockIdx: number, linked: string): Promise<void>
  /** Removes the linked copy at `linked` (missing is fine). */
  discardRenamed(payloadId: string, blockIdx: number, linked: string): Promise<void>
  /** Cuts the copy to `size` bytes. */
  truncate(payloadId: string, blockIdx: number, size: number): Promise<void>
  /** Removes the copy (missing is fine); open handles are closed first. */
  remove(payloadId: string, blockIdx: number): Promise<void>
  /** Makes the copies of these blocks of one payload durable (data and directory entries). */
  sync(payloadId: string, blockIdxs: readonly number[], options?: SyncOptions): Promise<void>
  /** Removes what is left of a payload (its directory) once its blocks are removed. */
  removePayload(payloadId: string): Promise<void>
  /** Makes everything durable that the medium still holds in flight, then releases handles. */
  close(): Promise<void>
  /** Releases handles without writing anything more (a process kill, for crash tests). */
  abandon?(): Promise<void>
  /**
   * Told of every committed change of block `id`'s row's copy (`undefined`: no row): a
   * journal record kept as a block's copy is referenced by the rows naming it, and its pack
   * may go once none does and the metadata saying so is durable; a file the block left for a
   * record goes once its row names the record (docs/design-packs.md).
   */
  rowMoved?(id: string, from: RowCopy | undefined, to: RowCopy | undefined): Promise<void> | void
}
