/**
 * Garbage collection lock and deletion fences of the PostgreSQL store, shared by every node
 * on one schema.
 *
 * - The run lock is a session-level advisory lock held by a dedicated connection: the server
 *   drops it when that connection dies. Fences are placed through the same connection, so a
 *   run that lost its lock cannot place one.
 * - Fence vs new reference: the fence takes an EXCLUSIVE transaction-level advisory lock on the
 *   key, a put carrying the key takes it SHARED. Under READ COMMITTED each statement after the
 *   lock sees every commit made before the lock was granted, so "no row references the key,
 *   fence it" and "the key is not fenced, store the row" can never interleave (no write skew).
 */
import type pg from 'pg'
import type { AbortOptions } from '../../core/abort.js'
import { BlockStoreError } from '../../core/errors.js'
import type { GcLock } from '../../core/metadata-store.js'
import { postgresError } from './postgres-error.js'
import { rollback } from './postgres-pool.js'
import type { PostgresStatements } from './statements.js'

const GC_LOCK_CLASS = 0x44425332
const KEY_LOCK_CLASS = 0x44425333

/** Arguments of the key-level advisory lock for `key` in `schema`. */
function keyLock(schema: string, key: string): [number, string] {
  return [KEY_LOCK_CLASS, `${schema}:${key}`]
}

/**
 * Runs `fn` in a transaction holding the key's lock SHARED after checking it is not fenced.
 * @throws {BlockStoreError} BS_BUSY when the key is fenced (nothing changed).
 */
export async function withUnfencedKey<T>(
  pool: pg.Pool,
  schema: string,
  sql: PostgresStatements,
  key: string,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect()
  let broken: Error | undefined
  try {
    await client.query('BEGIN')
    try {
      await client.query(
        'SELECT pg_advisory_xact_lock_shared($1, hashtext($2))',
        keyLock(schema, key),
      )
      if (((await client.query(sql.fenced, [key])).rowCount ?? 0) > 0) {
        throw new BlockStoreError('BS_BUSY', `remote key ${key} is being deleted`, {
          backend: 'postgres',
          key,
        })
      }
      const result = await fn(client)
      await client.query('COMMIT')
      return result
    } catch (err) {
      broken = await rollback(client)
      throw err
    }
  } finally {
    client.release(broken)
  }
}

/** Takes the run lock without waiting; `undefined` when another session holds it. */
export async function tryAcquirePostgresGcLock(
  pool: pg.Pool,
  schema: string,
  sql: PostgresStatements,
): Promise<GcLock | undefined> {
  const client = await pool.connect()
  let lost: Error | undefined
  const onError = (err: Error): void => {
    lost = err
  }
  client.on('error', onError)
  let held = false
  try {
    const { rows } = await client.query<{ ok: boolean }>(
      'SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok',
      [GC_LOCK_CLASS, schema],
    )
    held = rows[0]?.ok === true
  } finally {
    if (!held) {
      client.off('error', onError)
      client.release(lost)
    }
  }
  if (!held) return undefined
  const query = async <R extends pg.QueryResultRow>(
    op: string,
    o: AbortOptions | undefined,
    text: string,
    params: unknown[],
  ): Promise<pg.QueryResult<R>> => {
    o?.signal?.throwIfAborted()
    if (!held || lost !== undefined) {
      throw new BlockStoreError('BS_UNAVAILABLE', 'gc lock lost', { op, cause: lost })
    }
    try {
      return await client.query<R>(text, params)
    } catch (err) {
      lost ??= err as Error
      throw postgresError(err, op)
    }
  }
  // One connection carries every fence: calls are queued so transactions never interleave.
  let tail: Promise<unknown> = Promise.resolve()
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn)
    tail = run.catch(() => undefined)
    return run
  }
  return {
    fenceUnreferenced: (key, o) =>
      serial(async () => {
        await query('fenceUnreferenced', o, 'BEGIN', [])
        try {
          await query(
            'fenceUnreferenced',
            undefined,
            'SELECT pg_advisory_xact_lock($1, hashtext($2))',
            keyLock(schema, key),
          )
          const { rows } = await query<{ referenced: boolean }>(
            'fenceUnreferenced',
            undefined,
            sql.keyReferenced,
            [key],
          )
          if (rows[0]?.referenced !== false) {
            await query('fenceUnreferenced', undefined, 'ROLLBACK', [])
            return false
          }
          await query('fenceUnreferenced', undefined, sql.addFence, [key, Date.now()])
          await query('fenceUnreferenced', undefined, 'COMMIT', [])
          return true
        } catch (err) {
          if (lost === undefined) lost = (await rollback(client)) ?? lost
          throw err
        }
      }),
    unfence: (key, o) =>
      serial(async () => {
        await query('unfence', o, sql.removeFence, [key])
      }),
    fencedKeys: (o) =>
      serial(async () =>
        (await query<{ key: string }>('fencedKeys', o, sql.fences, [])).rows.map((r) => r.key),
      ),
    release: () =>
      serial(async () => {
        if (!held) return
        held = false
        try {
          if (lost === undefined) {
            await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [
              GC_LOCK_CLASS,
              schema,
            ])
          }
        } catch (err) {
          lost = err as Error
        } finally {
          client.off('error', onError)
          // A broken connection is destroyed; the server drops its session lock with it.
          client.release(lost)
        }
      }),
  }
}
