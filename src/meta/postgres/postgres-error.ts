/** Mapping of `pg` failures to engine error codes. */
import { BlockStoreError, isBlockStoreError } from '../../core/errors.js'

const BACKEND = 'postgres'

// SQLSTATE classes and network errors mapped to engine codes.
const ACCESS_DENIED = new Set(['28000', '28P01', '42501'])
const STORAGE_FULL = new Set(['53100'])

/** Wraps a driver failure as a BlockStoreError with the cause attached; never swallows it. */
export function postgresError(err: unknown, op: string): BlockStoreError {
  if (isBlockStoreError(err)) return err
  const code = (err as { code?: unknown }).code
  const text = typeof code === 'string' ? code : ''
  const detail = err instanceof Error && err.message !== '' ? err.message : text || String(err)
  const message = `postgres ${op} failed: ${detail}`
  const options = { cause: err, op, backend: BACKEND }
  if (ACCESS_DENIED.has(text)) return new BlockStoreError('BS_ACCESS_DENIED', message, options)
  if (STORAGE_FULL.has(text)) return new BlockStoreError('BS_STORAGE_FULL', message, options)
  return new BlockStoreError('BS_UNAVAILABLE', message, options)
}
