/**
 * SQL text of the PostgreSQL store for one schema. Every write stores a new `version` in the
 * same statement, drawn from the schema's sequence so no version value is ever stored twice
 * (a row re-created after a delete never matches a compare-and-set prepared against the old
 * one); every statement is a single atomic command (no client-side transactions). The
 * parameters of the row statements are built here too, next to the placeholders they fill.
 */
import type { FileBlock } from '../../core/block.js'
import { BLOCK_COLUMNS, chunkRootColumn, hashColumn } from '../row-codec.js'
import { assertBlockId } from '../validate.js'

/** The SQL statements of one schema, by use. */
export type PostgresStatements = ReturnType<typeof buildPostgresStatements>

/** Builds the statements for a quoted schema name. */
export function buildPostgresStatements(s: string) {
  const t = `${s}.file_blocks`
  const next = `nextval('${s}.file_block_versions')`
  const insert = `INSERT INTO ${t} (id, payload_id, block_idx, hash, data_size, local_path,
    block_store_key, ref_count, last_access, created_at, state, chunk_root, version)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, ${next})`
  const set = `hash = $4, data_size = $5, local_path = $6, block_store_key = $7,
    ref_count = $8, last_access = $9, created_at = $10, state = $11, chunk_root = $12`
  const returning = `RETURNING ${BLOCK_COLUMNS}`
  const select = `SELECT ${BLOCK_COLUMNS} FROM ${t}`
  return {
    get: `${select} WHERE id = $1`,
    upsert: `${insert} ON CONFLICT (id) DO UPDATE SET ${set}, version = ${next} ${returning}`,
    insertNew: `${insert} ON CONFLICT (id) DO NOTHING ${returning}`,
    // A row moved by a rename carries the version the rename drew ($13).
    insertVersioned: insert.replace(`, $12, ${next})`, ', $12, $13)'),
    nextVersion: `SELECT ${next} AS version`,
    deleteByPayload: `DELETE FROM ${t} WHERE payload_id = $1 ${returning}`,
    takePayload: `DELETE FROM ${s}.payloads WHERE id = $1 RETURNING id, size, created_at, modified_at`,
    // Transaction-level advisory locks on the payloads a rename touches, in one fixed order.
    lockPayloads: `SELECT pg_advisory_xact_lock($1, h) FROM (SELECT DISTINCT hashtext(x) AS h
      FROM unnest($2::text[]) AS x ORDER BY h) AS locks`,
    // payload_id and block_idx derive from id (unchanged); set so every parameter is typed.
    updateIfVersion: `UPDATE ${t} SET ${set}, payload_id = $2, block_idx = $3, version = ${next}
      WHERE id = $1 AND version = $13 ${returning}`,
    // Fast path of a compare-and-set that keeps the row's remote key (no new reference).
    updateIfVersionSameKey: `UPDATE ${t} SET ${set}, payload_id = $2, block_idx = $3,
      version = ${next} WHERE id = $1 AND version = $13 AND block_store_key = $7 ${returning}`,
    // Deletes when ifVersion ($2) is null or matches; `existed` tells "absent" from "lost".
    delete: `WITH d AS (DELETE FROM ${t} WHERE id = $1 AND ($2::bigint IS NULL OR version = $2)
      RETURNING id) SELECT EXISTS (SELECT 1 FROM d) AS deleted,
      EXISTS (SELECT 1 FROM ${t} WHERE id = $1) AS existed`,
    increment: `UPDATE ${t} SET ref_count = ref_count + 1, version = ${next}
      WHERE id = $1 RETURNING ref_count`,
    // FOR UPDATE reads the latest committed row (not the statement snapshot), so a decrement
    // that finds 0 reports the real count, and the update applies to that same locked row.
    decrement: `WITH cur AS (SELECT id, ref_count FROM ${t} WHERE id = $1 FOR UPDATE),
      d AS (UPDATE ${t} SET ref_count = ${t}.ref_count - 1, version = ${next}
        FROM cur WHERE ${t}.id = cur.id AND cur.ref_count > 0 RETURNING ${t}.ref_count)
      SELECT (SELECT ref_count FROM d) AS updated, (SELECT ref_count FROM cur) AS current`,
    byHash: `${select} WHERE hash = $1 AND (state = 3 OR (state = 0 AND block_store_key <> ''))
      ORDER BY id LIMIT 1`,
    local: `${select} WHERE state = 1 AND local_path <> '' ORDER BY last_access, id LIMIT $1`,
    localOlder: `${select} WHERE state = 1 AND local_path <> '' AND last_access < $2
      ORDER BY last_access, id LIMIT $1`,
    remote: `${select} WHERE state = 3 AND local_path <> '' ORDER BY last_access, id LIMIT $1`,
    unreferenced: `${select} WHERE ref_count = 0 ORDER BY id LIMIT $1`,
    byPathPrefix: `${select} WHERE left(local_path, length($1)) = $1 ORDER BY id LIMIT $2`,
    byPayload: `${select} WHERE payload_id = $1 ORDER BY block_idx`,
    countBlocks: `SELECT state, count(*) AS n, count(*) FILTER (WHERE local_path <> '') AS cached,
      min(last_access) AS oldest FROM ${t} GROUP BY state`,
    countPayloads: `SELECT count(*) AS n FROM ${s}.payloads`,
    keys: `SELECT id, block_store_key FROM ${t} WHERE id > $1 AND block_store_key <> ''
      ORDER BY id LIMIT $2`,
    getPayload: `SELECT id, size, created_at, modified_at FROM ${s}.payloads WHERE id = $1`,
    putPayload: `INSERT INTO ${s}.payloads (id, size, created_at, modified_at)
      VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE
      SET size = EXCLUDED.size, created_at = EXCLUDED.created_at, modified_at = EXCLUDED.modified_at`,
    deletePayload: `DELETE FROM ${s}.payloads WHERE id = $1`,
    listPayloads: `SELECT id, size, created_at, modified_at FROM ${s}.payloads
      WHERE id > $1 AND id >= $2 ORDER BY id LIMIT $3`,
    fenced: `SELECT 1 AS one FROM ${s}.gc_fences WHERE key = $1`,
    keyReferenced: `SELECT EXISTS (SELECT 1 FROM ${t} WHERE block_store_key = $1) AS referenced`,
    addFence: `INSERT INTO ${s}.gc_fences (key, fenced_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`,
    removeFence: `DELETE FROM ${s}.gc_fences WHERE key = $1`,
    fences: `SELECT key FROM ${s}.gc_fences ORDER BY key`,
  }
}

/** Parameters $1 to $12 of a row's statements (insert, upsert, compare-and-set). */
export function blockParams(block: FileBlock): unknown[] {
  const { payloadId, blockIdx } = assertBlockId(block.id)
  return [
    block.id,
    payloadId,
    blockIdx,
    hashColumn(block),
    block.dataSize,
    block.localPath,
    block.blockStoreKey,
    block.refCount,
    block.lastAccess,
    block.createdAt,
    block.state,
    chunkRootColumn(block),
  ]
}

/** A LIMIT value: `limit` when positive, no limit (NULL) otherwise. */
export function sqlLimit(limit: number): number | null {
  return limit > 0 ? limit : null
}
