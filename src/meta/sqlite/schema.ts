/**
 * SQLite schema and migrations. The format version is `PRAGMA user_version`; the file is
 * tagged with `PRAGMA application_id` so a foreign database is never mistaken for ours.
 */
import type { Database } from 'better-sqlite3'
import { BlockStoreError } from '../../core/errors.js'

/** `PRAGMA application_id` of a ditto-blockstore metadata database ("DBS1"). */
export const SQLITE_APPLICATION_ID = 0x44425331

/** Migrations in order; entry `i` brings the schema from version `i` to `i + 1`. Never edit one. */
export const SQLITE_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE file_blocks (
    id TEXT PRIMARY KEY,
    payload_id TEXT NOT NULL,
    block_idx INTEGER NOT NULL,
    hash TEXT,
    data_size INTEGER NOT NULL,
    local_path TEXT NOT NULL,
    block_store_key TEXT NOT NULL,
    ref_count INTEGER NOT NULL,
    last_access INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    state INTEGER NOT NULL,
    version INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX file_blocks_payload ON file_blocks (payload_id, block_idx);
  CREATE INDEX file_blocks_hash ON file_blocks (hash) WHERE hash IS NOT NULL;
  CREATE INDEX file_blocks_local ON file_blocks (last_access, id)
    WHERE state = 1 AND local_path <> '';
  CREATE INDEX file_blocks_remote ON file_blocks (last_access, id)
    WHERE state = 3 AND local_path <> '';
  CREATE INDEX file_blocks_unreferenced ON file_blocks (id) WHERE ref_count = 0;
  CREATE TABLE payloads (
    id TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    modified_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 2: garbage collection: "is this key referenced?" index and deletion fences.
  `
  CREATE INDEX file_blocks_store_key ON file_blocks (block_store_key)
    WHERE block_store_key <> '';
  CREATE TABLE gc_fences (
    key TEXT PRIMARY KEY,
    fenced_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 3: verified ranged reads: the root of the block object's chunk hash tree (NULL for rows
  // uploaded before it existed, which are read whole).
  `
  ALTER TABLE file_blocks ADD COLUMN chunk_root TEXT;
  `,
  // 4: a version is never stored twice for one ID. The trigger keeps the highest version of
  // any deleted row; a row created at an ID starts above it, so a compare-and-set prepared
  // against a deleted row can never succeed on the one re-created in its place. Seeded with
  // the highest live version, as the rows deleted before this migration are unknown.
  `
  CREATE TABLE version_floor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    removed INTEGER NOT NULL
  );
  INSERT INTO version_floor (id, removed) SELECT 1, coalesce(max(version), 0) FROM file_blocks;
  CREATE TRIGGER file_blocks_removed AFTER DELETE ON file_blocks
  BEGIN
    UPDATE version_floor SET removed = max(removed, OLD.version) WHERE id = 1;
  END;
  `,
]

/** The format version this code writes and reads. */
export const SQLITE_SCHEMA_VERSION = SQLITE_MIGRATIONS.length

function pragmaInt(db: Database, name: string): number {
  return db.pragma(name, { simple: true }) as number
}

/**
 * Checks the format and applies missing migrations in one IMMEDIATE transaction, so two
 * processes opening the same file at once migrate it exactly once.
 * @throws {BlockStoreError} BS_UNSUPPORTED_FORMAT for a newer format or a foreign database.
 */
export function migrateSqlite(db: Database): void {
  db.transaction(() => {
    const appId = pragmaInt(db, 'application_id')
    const version = pragmaInt(db, 'user_version')
    const empty =
      (db.prepare('SELECT count(*) AS n FROM sqlite_schema').get() as { n: number }).n === 0
    if (appId !== SQLITE_APPLICATION_ID && !(appId === 0 && version === 0 && empty)) {
      throw new BlockStoreError(
        'BS_UNSUPPORTED_FORMAT',
        `not a ditto-blockstore metadata database (application_id ${appId})`,
        { backend: 'sqlite' },
      )
    }
    if (version > SQLITE_SCHEMA_VERSION) {
      throw new BlockStoreError(
        'BS_UNSUPPORTED_FORMAT',
        `metadata database has format ${version}; this version reads up to ${SQLITE_SCHEMA_VERSION}`,
        { backend: 'sqlite' },
      )
    }
    for (let v = version; v < SQLITE_SCHEMA_VERSION; v++) db.exec(SQLITE_MIGRATIONS[v]!)
    db.pragma(`application_id = ${SQLITE_APPLICATION_ID}`)
    db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`)
  }).immediate()
}
