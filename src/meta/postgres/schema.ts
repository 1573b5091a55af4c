/**
 * PostgreSQL schema and migrations. The format version lives in `<schema>.format`; migrations
 * run in one transaction under an advisory lock so several nodes may open a schema at once.
 */
import type { PoolClient } from 'pg'
import { BlockStoreError } from '../../core/errors.js'

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/

/**
 * Checks a schema name (lower-case SQL identifier) and returns it quoted.
 * @throws {BlockStoreError} BS_INVALID_CONFIG otherwise.
 */
export function quoteSchema(schema: string): string {
  if (!IDENTIFIER.test(schema)) {
    throw new BlockStoreError(
      'BS_INVALID_CONFIG',
      `invalid schema name ${JSON.stringify(schema)}: use [a-z_][a-z0-9_]*, at most 63 characters`,
      { backend: 'postgres' },
    )
  }
  return `"${schema}"`
}

/**
 * Migrations in order; entry `i` brings the schema from version `i` to `i + 1`. `$S` stands for
 * the quoted schema. IDs are TEXT COLLATE "C" so ordering and range scans follow UTF-8 bytes.
 * Never edit a released entry.
 */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE $S.file_blocks (
    id text COLLATE "C" PRIMARY KEY,
    payload_id text COLLATE "C" NOT NULL,
    block_idx bigint NOT NULL,
    hash text,
    data_size bigint NOT NULL,
    local_path text NOT NULL,
    block_store_key text NOT NULL,
    ref_count bigint NOT NULL CHECK (ref_count >= 0),
    last_access bigint NOT NULL,
    created_at bigint NOT NULL,
    state smallint NOT NULL,
    version bigint NOT NULL
  );
  CREATE UNIQUE INDEX file_blocks_payload ON $S.file_blocks (payload_id, block_idx);
  CREATE INDEX file_blocks_hash ON $S.file_blocks (hash) WHERE hash IS NOT NULL;
  CREATE INDEX file_blocks_local ON $S.file_blocks (last_access, id)
    WHERE state = 1 AND local_path <> '';
  CREATE INDEX file_blocks_remote ON $S.file_blocks (last_access, id)
    WHERE state = 3 AND local_path <> '';
  CREATE INDEX file_blocks_unreferenced ON $S.file_blocks (id) WHERE ref_count = 0;
  CREATE TABLE $S.payloads (
    id text COLLATE "C" PRIMARY KEY,
    size bigint NOT NULL,
    created_at bigint NOT NULL,
    modified_at bigint NOT NULL
  );
  `,
  // 2: garbage collection: "is this key referenced?" index and deletion fences.
  `
  CREATE INDEX file_blocks_store_key ON $S.file_blocks (block_store_key)
    WHERE block_store_key <> '';
  CREATE TABLE $S.gc_fences (
    key text COLLATE "C" PRIMARY KEY,
    fenced_at bigint NOT NULL
  );
  `,
  // 3: verified ranged reads: the root of the block object's chunk hash tree (NULL for rows
  // uploaded before it existed, which are read whole).
  `
  ALTER TABLE $S.file_blocks ADD COLUMN chunk_root text;
  `,
  // 4: a version is never stored twice for one ID. Every mutation draws its version from one
  // sequence, so each version value is unique in the schema: a compare-and-set prepared
  // against a deleted row can never succeed on the row re-created in its place, whichever
  // node re-creates it, and no row lock is shared between writers. Starts above every live
  // version (the rows deleted before this migration are unknown).
  `
  CREATE SEQUENCE $S.file_block_versions AS bigint;
  SELECT setval('$S.file_block_versions',
    (SELECT coalesce(max(version), 0) + 1 FROM $S.file_blocks), false);
  `,
]

/** The format version this code writes and reads. */
export const POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS.length

// First key of the advisory lock: "DBS1"; the second is a hash of the schema name.
const LOCK_CLASS = 0x44425331

/**
 * Creates the schema when missing, checks its format and applies missing migrations, all in
 * one transaction holding a transaction-level advisory lock on the schema name.
 * @throws {BlockStoreError} BS_UNSUPPORTED_FORMAT when the schema was written by a newer format.
 */
export async function migratePostgres(client: PoolClient, schema: string): Promise<void> {
  const s = quoteSchema(schema)
  await client.query('BEGIN')
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, schema])
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`)
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.format (
         one boolean PRIMARY KEY DEFAULT true CHECK (one), version integer NOT NULL)`,
    )
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${s}.format`)
    const version = rows[0]?.version ?? 0
    if (version > POSTGRES_SCHEMA_VERSION) {
      throw new BlockStoreError(
        'BS_UNSUPPORTED_FORMAT',
        `schema ${schema} has format ${version}; this version reads up to ${POSTGRES_SCHEMA_VERSION}`,
        { backend: 'postgres' },
      )
    }
    for (let v = version; v < POSTGRES_SCHEMA_VERSION; v++) {
      await client.query(POSTGRES_MIGRATIONS[v]!.replaceAll('$S', s))
    }
    await client.query(
      `INSERT INTO ${s}.format (one, version) VALUES (true, $1)
       ON CONFLICT (one) DO UPDATE SET version = EXCLUDED.version`,
      [POSTGRES_SCHEMA_VERSION],
    )
    await client.query('COMMIT')
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {
      // The original error matters more; a failed rollback means the connection is gone.
    })
    throw err
  }
}
