/**
 * FileBlock: the one block record of the engine, and its lifecycle states.
 */
import { ContentHash } from './hash.js'

/** Lifecycle state of a block. Values are persisted; never renumber them. */
export const BlockState = {
  /** Receiving writes, not syncable. The zero value, safe for legacy rows. */
  Dirty: 0,
  /** Complete on local disk, eligible for upload. */
  Local: 1,
  /** Upload in progress; reverts to Local on failure or after a crash. */
  Syncing: 2,
  /** Confirmed in the remote store; a local copy may be evicted. */
  Remote: 3,
} as const

/** One of the {@link BlockState} values. */
export type BlockState = (typeof BlockState)[keyof typeof BlockState]

const STATE_NAMES = ['Dirty', 'Local', 'Syncing', 'Remote'] as const

/** "Dirty", "Local", "Syncing", "Remote", or "Unknown" for any other value. */
export function blockStateName(state: number): string {
  return STATE_NAMES[state] ?? 'Unknown'
}

/** True when `value` is one of the four block states. */
export function isBlockState(value: unknown): value is BlockState {
  return value === 0 || value === 1 || value === 2 || value === 3
}

/**
 * A block record. Times are milliseconds since the Unix epoch. Records are plain data: stores
 * hand out copies (see {@link cloneFileBlock}).
 */
export interface FileBlock {
  /** Block ID `"{payloadId}/{blockIdx}"`. */
  id: string
  /** SHA-256 of bytes `[0, dataSize)`; zero until computed by the syncer. */
  hash: ContentHash
  /** Valid bytes in the block (highest written offset within it). */
  dataSize: number
  /** Path of the local copy; `""` when not stored locally. */
  localPath: string
  /** Remote object key; `""` when never uploaded. After dedup it may name another payload's object. */
  blockStoreKey: string
  /** Number of references to this block's remote object held by rows (dedup donors count > 1). */
  refCount: number
  /** Last access, for LRU eviction and upload delay. */
  lastAccess: number
  /** Creation time. */
  createdAt: number
  /** Lifecycle state. */
  state: BlockState
  /**
   * Root of the block object's chunk hash tree (see chunk-layout.ts), computed at upload from
   * the same bytes as `hash`; it lets a reader verify a ranged GET. Absent (or zero) on rows
   * uploaded before chunk indexes existed: those blocks are only ever read whole.
   */
  chunkRoot?: ContentHash | undefined
  /**
   * Row version, maintained by the metadata store: every successful write stores a greater
   * one, and no ID ever has the same version twice, even across a delete and re-create.
   * Compare-and-set updates check it so no two writers overwrite each other, and a writer
   * holding a deleted row's version can never win against the row that replaced it.
   * A new record starts at 0 (never stored).
   */
  version: number
}

/**
 * A new, never stored record: Dirty, reference count 1, zero hash, created and accessed now.
 */
export function newFileBlock(id: string, localPath: string, now: number = Date.now()): FileBlock {
  return {
    id,
    hash: ContentHash.ZERO,
    dataSize: 0,
    localPath,
    blockStoreKey: '',
    refCount: 1,
    lastAccess: now,
    createdAt: now,
    state: BlockState.Dirty,
    version: 0,
  }
}

/**
 * A copy of a record (ContentHash is immutable, so a shallow copy is a deep copy). An absent or
 * zero chunk root is left out, so every store hands out the same shape for "no chunk index".
 */
export function cloneFileBlock(block: FileBlock): FileBlock {
  const copy = { ...block }
  if (copy.chunkRoot === undefined || copy.chunkRoot.isZero()) delete copy.chunkRoot
  return copy
}

/** The row's chunk root when its remote object has a chunk index, else `undefined`. */
export function chunkRootOf(block: FileBlock): ContentHash | undefined {
  const root = block.chunkRoot
  return root === undefined || root.isZero() ? undefined : root
}

/**
 * True when the block is confirmed remote: state Remote, or (legacy rows written before
 * states existed) state Dirty with a remote key.
 */
export function isRemote(block: FileBlock): boolean {
  return (
    block.state === BlockState.Remote ||
    (block.state === BlockState.Dirty && block.blockStoreKey !== '')
  )
}

/** True when the block is still receiving writes. */
export function isDirty(block: FileBlock): boolean {
  return block.state === BlockState.Dirty
}

/** True when the block is complete locally and waiting for upload. */
export function isLocal(block: FileBlock): boolean {
  return block.state === BlockState.Local
}

/** True when the block's hash has been computed. */
export function isFinalized(block: FileBlock): boolean {
  return !block.hash.isZero()
}

/** True when the block has a local copy. */
export function hasLocalFile(block: FileBlock): boolean {
  return block.localPath !== ''
}

/** The outcome of a flush. */
export interface FlushResult {
  /** True when every block of the payload is confirmed in the remote store. */
  readonly finalized: boolean
}
