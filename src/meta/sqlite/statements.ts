/**
 * Prepared statements of the SQLite store. Every write bumps `version` in the same statement,
 * so no mutation can forget it; a new row starts above the highest version ever deleted
 * (`version_floor`, kept by a trigger), so no ID ever sees a version twice.
 */
import type { Database, Statement } from 'better-sqlite3'
import type { FileBlock } from '../../core/block.js'
import { BLOCK_COLUMNS, chunkRootColumn, hashColumn } from '../row-codec.js'
import { assertBlockId } from '../validate.js'

/** The prepared statements, by use. */
export interface SqliteStatements {
  readonly get: Statement
  readonly upsert: Statement
  readonly insertNew: Statement
  readonly insertVersioned: Statement
  readonly removedVersions: Statement
  readonly deleteByPayload: Statement
  readonly updateIfVersion: Statement
  readonly version: Statement
  readonly delete: Statement
  readonly increment: Statement
  readonly decrement: Statement
  readonly refCount: Statement
  readonly byHash: Statement
  readonly local: Statement
  readonly localOlder: Statement
  readonly remote: Statement
  readonly unreferenced: Statement
  readonly byPathPrefix: Statement
  readonly byPayload: Statement
  readonly countChunk: Statement
  readonly countPayloads: Statement
  readonly keys: Statement
  readonly getPayload: Statement
  readonly putPayload: Statement
  readonly deletePayload: Statement
  readonly listPayloads: Statement
  readonly fenced: Statement
  readonly keyReferenced: Statement
  readonly addFence: Statement
  readonly removeFence: Statement
  readonly fences: Statement
}

const INSERT = `INSERT INTO file_blocks (id, payload_id, block_idx, hash, data_size, local_path,
  block_store_key, ref_count, last_access, created_at, state, version, chunk_root)
  VALUES (@id, @payloadId, @blockIdx, @hash, @dataSize, @localPath, @blockStoreKey, @refCount,
  @lastAccess, @createdAt, @state, (SELECT removed + 1 FROM version_floor), @chunkRoot)`
const SET = `hash = @hash, data_size = @dataSize, local_path = @localPath,
  block_store_key = @blockStoreKey, ref_count = @refCount, last_access = @lastAccess,
  created_at = @createdAt, state = @state, chunk_root = @chunkRoot, version = version + 1`
const RETURNING = `RETURNING ${BLOCK_COLUMNS}`
// isRemote(): state Remote, or a legacy Dirty row with a remote key.
const IS_REMOTE = `(state = 3 OR (state = 0 AND block_store_key <> ''))`

/** Prepares every statement once per connection. */
export function buildStatements(db: Database): SqliteStatements {
  const p = (sql: string): Statement => db.prepare(sql)
  return {
    get: p(`SELECT ${BLOCK_COLUMNS} FROM file_blocks WHERE id = ?`),
    upsert: p(`${INSERT} ON CONFLICT (id) DO UPDATE SET ${SET} ${RETURNING}`),
    insertNew: p(`${INSERT} ON CONFLICT (id) DO NOTHING ${RETURNING}`),
    // A row moved by a rename carries the version the rename computed.
    insertVersioned: p(
      `${INSERT.replace('(SELECT removed + 1 FROM version_floor), @chunkRoot)', '@version, @chunkRoot)')}`,
    ),
    removedVersions: p('SELECT removed FROM version_floor'),
    deleteByPayload: p('DELETE FROM file_blocks WHERE payload_id = ?'),
    updateIfVersion: p(
      `UPDATE file_blocks SET ${SET} WHERE id = @id AND version = @expected ${RETURNING}`,
    ),
    version: p('SELECT version FROM file_blocks WHERE id = ?'),
    delete: p('DELETE FROM file_blocks WHERE id = ?'),
    increment: p(
      'UPDATE file_blocks SET ref_count = ref_count + 1, version = version + 1 WHERE id = ? RETURNING ref_count',
    ),
    decrement: p(
      'UPDATE file_blocks SET ref_count = ref_count - 1, version = version + 1 WHERE id = ? AND ref_count > 0 RETURNING ref_count',
    ),
    refCount: p('SELECT ref_count FROM file_blocks WHERE id = ?'),
    byHash: p(
      `SELECT ${BLOCK_COLUMNS} FROM file_blocks WHERE hash = ? AND ${IS_REMOTE} ORDER BY id LIMIT 1`,
    ),
    local: p(
      `SELECT ${BLOCK_COLUMNS} FROM file_blocks WHERE state = 1 AND local_path <> ''
       ORDER BY last_access, id LIMIT @limit`,
    ),
    localOlder: p(
      `SELECT ${BLOCK_COLUMNS} FROM file_blocks WHERE state = 1 AND local_path <> ''
       AND last_access < @cutoff ORDER BY last_access, id LIMIT @limit`,
    ),
    remote: p(
      `SELECT ${BLOCK_COLUMNS} FROM file_blocks WHERE state = 3 AND local_path <> ''
       ORDER BY last_access, id LIMIT @limit`,
    ),
    byPathPrefix: p(
      `SELECT ${BLOCK_COLUMNS} FROM file_blocks
       WHERE substr(local_path, 1, length(@prefix)) = @prefix ORDER BY id LIMIT @limit`,
    ),
    unreferenced: p(
      `SELECT ${BLOCK_COLUMNS} FROM file_blocks WHERE ref_count = 0 ORDER BY id LIMIT @limit`,
    ),
    byPayload: p(
      `SELECT ${BLOCK_COLUMNS} FROM file_blocks WHERE payload_id = ? ORDER BY block_idx`,
    ),
    // One slice of the rows in ID order (a primary-key range), counted by state.
    countChunk: p(
      `SELECT max(id) AS last, count(*) AS n, sum(state = 0) AS dirty,
         sum(state IN (1, 2)) AS local, sum(state = 3) AS remote,
         sum(state = 3 AND local_path <> '') AS cached,
         min(CASE WHEN state <> 3 THEN last_access END) AS oldest
       FROM (SELECT id, state, local_path, last_access FROM file_blocks
             WHERE id > ? ORDER BY id LIMIT ?)`,
    ),
    countPayloads: p('SELECT count(*) AS n FROM payloads'),
    keys: p(
      `SELECT id, block_store_key FROM file_blocks WHERE id > ? AND block_store_key <> ''
       ORDER BY id LIMIT ?`,
    ),
    getPayload: p('SELECT id, size, created_at, modified_at FROM payloads WHERE id = ?'),
    putPayload: p(
      `INSERT INTO payloads (id, size, created_at, modified_at)
       VALUES (@id, @size, @createdAt, @modifiedAt)
       ON CONFLICT (id) DO UPDATE SET size = @size, created_at = @createdAt, modified_at = @modifiedAt`,
    ),
    deletePayload: p('DELETE FROM payloads WHERE id = ?'),
    listPayloads: p(
      `SELECT id, size, created_at, modified_at FROM payloads
       WHERE id > @after AND id >= @prefix ORDER BY id LIMIT @limit`,
    ),
    fenced: p('SELECT 1 AS one FROM gc_fences WHERE key = ?'),
    keyReferenced: p('SELECT 1 AS one FROM file_blocks WHERE block_store_key = ? LIMIT 1'),
    addFence: p(
      'INSERT INTO gc_fences (key, fenced_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING',
    ),
    removeFence: p('DELETE FROM gc_fences WHERE key = ?'),
    fences: p('SELECT key FROM gc_fences ORDER BY key'),
  }
}

/** The named parameters of a row's statements (insert, upsert, compare-and-set). */
export function blockParams(block: FileBlock): Record<string, string | number | null> {
  const { payloadId, blockIdx } = assertBlockId(block.id)
  return {
    id: block.id,
    payloadId,
    blockIdx,
    hash: hashColumn(block),
    dataSize: block.dataSize,
    localPath: block.localPath,
    blockStoreKey: block.blockStoreKey,
    refCount: block.refCount,
    lastAccess: block.lastAccess,
    createdAt: block.createdAt,
    state: block.state,
    chunkRoot: chunkRootColumn(block),
  }
}

/** A LIMIT value: `limit` when positive, no limit (-1) otherwise. */
export function sqlLimit(limit: number): number {
  return limit > 0 ? limit : -1
}
