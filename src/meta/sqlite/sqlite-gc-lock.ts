/**
 * The SQLite store's garbage collection lock: an EXCLUSIVE transaction held on a sidecar file
 * (`<db>.gc-lock`) by a dedicated connection. SQLite's file locks exclude every other
 * connection, in this process or another, and the OS drops them when the holder dies. An
 * in-memory database (no file to lock) falls back to a per-handle flag.
 *
 * Also here: the fence check every put of a row carrying a remote key makes, in the same
 * IMMEDIATE transaction as the put, so it can never interleave with a fence.
 */
import Sqlite, { type Database } from 'better-sqlite3'
import type { AbortOptions } from '../../core/abort.js'
import { BlockStoreError } from '../../core/errors.js'
import type { GcLock } from '../../core/metadata-store.js'
import type { SqliteStatements } from './statements.js'

/** What the lock needs of its store. */
export interface SqliteGcLockContext {
  readonly path: string
  readonly db: Database
  readonly sql: SqliteStatements
  /** Runs `fn` with the store's open/abort checks and error mapping. */
  run<T>(op: string, options: AbortOptions | undefined, fn: () => T): T
  /** Same as `run` for a mutation: resolves once its commit is durable. */
  write<T>(op: string, options: AbortOptions | undefined, fn: () => T): Promise<T>
}

const BACKEND = 'sqlite'
const inMemoryHeld = new WeakSet<Database>()

function isInMemory(path: string): boolean {
  return path === '' || path === ':memory:' || path.startsWith('file::memory:')
}

/** Takes the lock without waiting; `undefined` when another connection holds it. */
export function tryAcquireSqliteGcLock(c: SqliteGcLockContext): GcLock | undefined {
  let lockDb: Database | undefined
  if (isInMemory(c.path)) {
    if (inMemoryHeld.has(c.db)) return undefined
    inMemoryHeld.add(c.db)
  } else {
    lockDb = new Sqlite(`${c.path}.gc-lock`, { timeout: 0 })
    try {
      lockDb.exec('BEGIN EXCLUSIVE')
    } catch (err) {
      lockDb.close()
      if ((err as { code?: unknown }).code === 'SQLITE_BUSY') return undefined
      throw err
    }
  }
  let held = true
  const guarded =
    <T>(fn: () => T, op: string): (() => T) =>
    () => {
      if (!held) throw new BlockStoreError('BS_UNAVAILABLE', 'gc lock released', { op })
      return fn()
    }
  const guard = <T>(op: string, o: AbortOptions | undefined, fn: () => T): T =>
    c.run(op, o, guarded(fn, op))
  // A fence must be durable before the sweep deletes the object it protects.
  const guardWrite = <T>(op: string, o: AbortOptions | undefined, fn: () => T): Promise<T> =>
    c.write(op, o, guarded(fn, op))
  return {
    fenceUnreferenced: async (key, o) =>
      guardWrite('fenceUnreferenced', o, () =>
        // IMMEDIATE takes the write lock first: no put can commit between check and fence.
        c.db
          .transaction(() => {
            if (c.sql.keyReferenced.get(key) !== undefined) return false
            c.sql.addFence.run(key, Date.now())
            return true
          })
          .immediate(),
      ),
    unfence: async (key, o) => {
      await guardWrite('unfence', o, () => c.sql.removeFence.run(key))
    },
    fencedKeys: async (o) =>
      guard('fencedKeys', o, () =>
        (c.sql.fences.all() as Array<{ key: string }>).map((r) => r.key),
      ),
    release: async () => {
      if (!held) return
      held = false
      if (lockDb === undefined) inMemoryHeld.delete(c.db)
      else lockDb.close() // closing rolls the transaction back and drops the file lock
    },
  }
}

/**
 * Runs `put`, the store's put of a row carrying `key`, atomically with a check that the key is
 * not fenced; with no key (`""`: nothing a fence protects) it runs `put` alone.
 * @throws {BlockStoreError} BS_BUSY when the key is fenced (nothing changed).
 */
export function withUnfencedKey<T>(
  db: Database,
  sql: SqliteStatements,
  key: string,
  put: () => T,
): T {
  if (key === '') return put()
  return db
    .transaction(() => {
      if (sql.fenced.get(key) !== undefined) {
        throw new BlockStoreError('BS_BUSY', `remote key ${key} is being deleted`, {
          backend: BACKEND,
          key,
        })
      }
      return put()
    })
    .immediate()
}
