/**
 * Opening the SQLite database of the metadata store: the file (and its folder), the journal
 * mode, the schema, the prepared statements and the WAL syncer, or a clear error and nothing
 * left open.
 */
import { dirname, resolve } from 'node:path'
import Sqlite, { type Database } from 'better-sqlite3'
import { mkdirDurable } from '../../platform/fsync.js'
import { migrateSqlite } from './schema.js'
import { sqliteError } from './sqlite-error.js'
import { buildStatements, type SqliteStatements } from './statements.js'
import { BACKSTOP_PAGES, WalCheckpointer } from './wal-checkpointer.js'
import { WalSync } from './wal-sync.js'

/** An open database, its statements and, when commits must be made durable, its WAL syncer. */
export interface OpenedDatabase {
  readonly db: Database
  readonly sql: SqliteStatements
  readonly wal: WalSync | undefined
  /** Runs the WAL's checkpoints off the event loop; `undefined` without a WAL file. */
  readonly checkpointer: WalCheckpointer | undefined
}

/** SQLite's default automatic checkpoint threshold, in pages. */
const DEFAULT_AUTOCHECKPOINT = 1000

/**
 * Opens (creating and migrating when needed) the database at `path`.
 * @throws {BlockStoreError} BS_UNSUPPORTED_FORMAT for a newer or foreign file, BS_UNAVAILABLE
 * when it cannot be opened.
 */
export async function openDatabase(
  path: string,
  busyTimeoutMs: number,
  durability: 'full' | 'normal' | undefined,
  backgroundCheckpoints = true,
): Promise<OpenedDatabase> {
  let db: Database | undefined
  try {
    // A new user points `path` into a folder that does not exist yet (./data/meta.db on an
    // empty checkout): create it rather than fail with "directory does not exist".
    if (isFilePath(path)) await mkdirDurable(dirname(resolve(path)))
    db = new Sqlite(path, { timeout: busyTimeoutMs })
    // WAL: readers never block the writer. Commits run with NORMAL (no fsync inside the
    // synchronous call, which blocked the event loop); for "full" each mutating call then
    // awaits an fsync of the WAL covering its commit, so a returned call survives a power
    // loss as under FULL. An in-memory database has no WAL and nothing to make durable.
    const wal = db.pragma('journal_mode = WAL', { simple: true }) === 'wal'
    db.pragma('synchronous = NORMAL')
    migrateSqlite(db)
    const sync = wal && durability !== 'normal' ? new WalSync(`${db.name}-wal`) : undefined
    const sql = buildStatements(db)
    let checkpointer: WalCheckpointer | undefined
    if (wal && backgroundCheckpoints) {
      const opened = db
      opened.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`)
      checkpointer = new WalCheckpointer(db.name, () => {
        if (opened.open) opened.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT}`)
      })
    }
    return { db, sql, wal: sync, checkpointer }
  } catch (err) {
    db?.close()
    throw sqliteError(err, 'open')
  }
}

/** True for a database on disk, false for SQLite's in-memory and anonymous temporary forms. */
function isFilePath(path: string): boolean {
  return path !== '' && path !== ':memory:' && !path.startsWith('file:')
}
