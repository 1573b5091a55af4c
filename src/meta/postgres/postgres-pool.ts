/**
 * Connecting the PostgreSQL store: the pool (given or built), the server's encoding check and
 * the schema migrations, run once per open under an advisory lock (schema.ts).
 */
import pg from 'pg'
import { BlockStoreError } from '../../core/errors.js'
import { postgresError } from './postgres-error.js'
import { migratePostgres } from './schema.js'

const BACKEND = 'postgres'

/** Options of {@link PostgresMetadataStore.open}: a connection string or an existing pool. */
export interface PostgresMetadataStoreOptions {
  /** e.g. `postgres://user@127.0.0.1:5432/db`; the store owns (and ends) the pool it builds. */
  readonly connectionString?: string | undefined
  /** An existing pool; the store never ends it. */
  readonly pool?: pg.Pool | undefined
  /** Schema holding the tables; created when missing. Default `ditto_blockstore`. */
  readonly schema?: string | undefined
  /** Connections of an owned pool; default 10. */
  readonly maxConnections?: number | undefined
  /** Receives errors of idle pooled connections (they have no caller to reject). */
  readonly onError?: ((err: Error) => void) | undefined
}

/**
 * The pool for `options`, its database checked (UTF8) and its schema migrated; `owns` when the
 * store built it (and must end it).
 * @throws {BlockStoreError} BS_INVALID_CONFIG, BS_UNSUPPORTED_FORMAT, BS_UNAVAILABLE, BS_ACCESS_DENIED.
 */
export async function openPostgresPool(
  options: PostgresMetadataStoreOptions,
  schema: string,
): Promise<{ pool: pg.Pool; owns: boolean }> {
  if ((options.pool === undefined) === (options.connectionString === undefined)) {
    throw new BlockStoreError('BS_INVALID_CONFIG', 'give exactly one of pool or connectionString', {
      backend: BACKEND,
    })
  }
  const owns = options.pool === undefined
  const pool =
    options.pool ??
    new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
    })
  if (owns) pool.on('error', (err) => options.onError?.(err))
  try {
    const client = await pool.connect()
    try {
      const { rows } = await client.query<{ server_encoding: string }>('SHOW server_encoding')
      if (rows[0]?.server_encoding !== 'UTF8') {
        throw new BlockStoreError(
          'BS_INVALID_CONFIG',
          `database encoding is ${rows[0]?.server_encoding}; UTF8 is required`,
          { backend: BACKEND },
        )
      }
      await migratePostgres(client, schema)
    } finally {
      client.release()
    }
  } catch (err) {
    if (owns) await pool.end()
    throw postgresError(err, 'open')
  }
  return { pool, owns }
}

/**
 * Rolls back the client's open transaction. Resolves with the error when the rollback itself
 * failed: the connection is then broken and must be destroyed, not returned to the pool.
 */
export async function rollback(client: pg.PoolClient): Promise<Error | undefined> {
  try {
    await client.query('ROLLBACK')
    return undefined
  } catch (err) {
    return err as Error
  }
}
