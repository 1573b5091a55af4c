/** Mapping of better-sqlite3 failures to engine error codes. */
import { BlockStoreError, isBlockStoreError } from '../../core/errors.js'

const BACKEND = 'sqlite'

// SQLite result codes that mean "try again later" rather than "bad data".
const STORAGE_FULL = new Set(['SQLITE_FULL'])
const CORRUPT = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB'])

/** Wraps a driver failure as a BlockStoreError with the cause attached; never swallows it. */
export function sqliteError(err: unknown, op: string): BlockStoreError {
  if (isBlockStoreError(err)) return err
  const code = (err as { code?: unknown }).code
  const text = typeof code === 'string' ? code : 'unknown'
  const message = `sqlite ${op} failed: ${err instanceof Error ? err.message : text}`
  const options = { cause: err, op, backend: BACKEND }
  if (STORAGE_FULL.has(text)) return new BlockStoreError('BS_STORAGE_FULL', message, options)
  if (CORRUPT.has(text)) return new BlockStoreError('BS_INTEGRITY_CHECK_FAILED', message, options)
  return new BlockStoreError('BS_UNAVAILABLE', message, options)
}
