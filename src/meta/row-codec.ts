/**
 * The SQL row form of block and payload records, shared by the SQLite and PostgreSQL stores so
 * both store and return byte-identical rows: hash as lower-case hex (NULL for the zero hash,
 * independent of state), empty strings kept as empty strings, integers checked at the boundary.
 */
import { Buffer } from 'node:buffer'
import { BlockState, type FileBlock, isBlockState } from '../core/block.js'
import { BlockStoreError } from '../core/errors.js'
import { ContentHash, parseContentHash } from '../core/hash.js'
import type { BlockCounts, PayloadRecord } from '../core/metadata-store.js'

/** An integer column as a driver returns it: number, or string/bigint for 64-bit columns. */
export type IntColumn = number | string | bigint

/** A `file_blocks` row as read from SQL. */
export interface BlockRow {
  readonly id: string
  readonly hash: string | null
  readonly data_size: IntColumn
  readonly local_path: string
  readonly block_store_key: string
  readonly ref_count: IntColumn
  readonly last_access: IntColumn
  readonly created_at: IntColumn
  readonly state: IntColumn
  readonly version: IntColumn
  /** Lower-case hex, or null for a row without a chunk index (and rows from older formats). */
  readonly chunk_root?: string | null | undefined
}

/** A `payloads` row as read from SQL. */
export interface PayloadRow {
  readonly id: string
  readonly size: IntColumn
  readonly created_at: IntColumn
  readonly modified_at: IntColumn
}

/**
 * Converts an integer column to a safe JavaScript number.
 * @throws {BlockStoreError} BS_INTEGRITY_CHECK_FAILED when it is not a safe integer.
 */
export function toSafeInt(value: IntColumn, column: string, backend: string): number {
  const n = typeof value === 'number' ? value : Number(value)
  if (!Number.isSafeInteger(n)) {
    throw new BlockStoreError(
      'BS_INTEGRITY_CHECK_FAILED',
      `column ${column} holds ${String(value)}, not a safe integer`,
      { backend },
    )
  }
  return n
}

/**
 * Reads a block row.
 * @throws {BlockStoreError} BS_UNSUPPORTED_FORMAT for an unknown state, BS_INTEGRITY_CHECK_FAILED for a bad value.
 */
export function fromBlockRow(row: BlockRow, backend: string): FileBlock {
  const int = (value: IntColumn, column: string): number => toSafeInt(value, column, backend)
  const state = int(row.state, 'state')
  if (!isBlockState(state)) {
    throw new BlockStoreError('BS_UNSUPPORTED_FORMAT', `row ${row.id} has unknown state ${state}`, {
      backend,
      key: row.id,
    })
  }
  return {
    id: row.id,
    hash: row.hash === null ? ContentHash.ZERO : hashFromColumn(row.hash),
    dataSize: int(row.data_size, 'data_size'),
    localPath: row.local_path,
    blockStoreKey: row.block_store_key,
    refCount: int(row.ref_count, 'ref_count'),
    lastAccess: int(row.last_access, 'last_access'),
    createdAt: int(row.created_at, 'created_at'),
    state,
    version: int(row.version, 'version'),
    // Left out when absent: every store hands out the same shape (see cloneFileBlock).
    ...(row.chunk_root === null || row.chunk_root === undefined
      ? {}
      : { chunkRoot: hashFromColumn(row.chunk_root) }),
  }
}

const STORED_HEX = /^[0-9a-f]{64}$/

// Rows are decoded by the thousand in listings: the stored form (64 lower-case hex digits) is
// decoded by Buffer; anything else goes through the strict parser and its error.
function hashFromColumn(hex: string): ContentHash {
  return STORED_HEX.test(hex)
    ? ContentHash.fromBytes(Buffer.from(hex, 'hex'))
    : parseContentHash(hex)
}

/** The hash column of a block: lower-case hex, or null for the zero hash. */
export function hashColumn(block: FileBlock): string | null {
  return block.hash.isZero() ? null : block.hash.toString()
}

/** The chunk root column of a block: lower-case hex, or null when it has no chunk index. */
export function chunkRootColumn(block: FileBlock): string | null {
  const root = block.chunkRoot
  return root === undefined || root.isZero() ? null : root.toString()
}

/** Reads a payload row. */
export function fromPayloadRow(row: PayloadRow, backend: string): PayloadRecord {
  return {
    id: row.id,
    size: toSafeInt(row.size, 'size', backend),
    createdAt: toSafeInt(row.created_at, 'created_at', backend),
    modifiedAt: toSafeInt(row.modified_at, 'modified_at', backend),
  }
}

/** Columns of a block row, in the order of {@link BLOCK_COLUMNS}. */
export const BLOCK_COLUMNS =
  'id, hash, data_size, local_path, block_store_key, ref_count, last_access, created_at, state, version, chunk_root'

/** One row of the `GROUP BY state` count of the SQL stores. */
export interface StateCount {
  readonly state: IntColumn
  readonly n: IntColumn
  readonly cached: IntColumn | null
  readonly oldest: IntColumn | null
}

/** Folds the per-state counts of the SQL stores into {@link BlockCounts}. */
export function blockCounts(rows: readonly StateCount[], payloads: number): BlockCounts {
  const c = { dirty: 0, local: 0, remote: 0, remoteCached: 0 }
  let oldest: number | undefined
  for (const row of rows) {
    const n = Number(row.n)
    const state = Number(row.state)
    if (state === BlockState.Remote) {
      c.remote += n
      c.remoteCached += Number(row.cached ?? 0)
      continue
    }
    if (state === BlockState.Dirty) c.dirty += n
    else c.local += n
    if (row.oldest !== null) oldest = Math.min(oldest ?? Number(row.oldest), Number(row.oldest))
  }
  return { ...c, oldestUnsyncedAccess: oldest, payloads }
}
