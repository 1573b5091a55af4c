/**
 * `renamePayload` of the PostgreSQL store: one transaction, correct with several nodes.
 *
 * - Renames touching the same payload are serialised by transaction-level advisory locks on
 *   both payload IDs, taken in one global order (no deadlock between `a -> b` and `b -> a`).
 * - The source's rows and record are taken with `DELETE ... RETURNING`, which locks them and
 *   reads their latest committed versions; a compare-and-set of the uploader on one of them
 *   waits for the commit and then finds the row gone. If they differ from what the caller
 *   expects, the transaction rolls back and nothing changed.
 * - The destination's rows are deleted the same way, even one inserted a moment before; the
 *   moved rows take a fresh value of the version sequence, which no row ever had.
 * - No key lock is needed: every remote key a moved row carries is referenced by its source row
 *   in every snapshot before the commit and by the moved row in every one after, so the fence
 *   of garbage collection ("no row references the key") can never succeed on it meanwhile.
 */
import type pg from 'pg'
import { parseBlockId } from '../../core/keys.js'
import type { RenamePayloadOptions } from '../../core/metadata-store.js'
import { matchesExpected, movedRow } from '../rename.js'
import {
  type BlockRow,
  chunkRootColumn,
  fromBlockRow,
  fromPayloadRow,
  hashColumn,
  type PayloadRow,
  toSafeInt,
} from '../row-codec.js'
import { postgresError } from './postgres-error.js'
import { rollback } from './postgres-pool.js'
import type { PostgresStatements } from './statements.js'

const BACKEND = 'postgres'
const RENAME_LOCK_CLASS = 0x44425334

/** Moves `src` onto `dst`; `false` (nothing changed) when `src` is not as expected. */
export async function renamePostgresPayload(
  pool: pg.Pool,
  schema: string,
  sql: PostgresStatements,
  src: string,
  dst: string,
  options: RenamePayloadOptions,
): Promise<boolean> {
  let client: pg.PoolClient
  try {
    client = await pool.connect()
  } catch (err) {
    throw postgresError(err, 'renamePayload')
  }
  let broken: Error | undefined
  try {
    await client.query('BEGIN')
    try {
      await client.query(sql.lockPayloads, [
        RENAME_LOCK_CLASS,
        [`${schema}:${src}`, `${schema}:${dst}`],
      ])
      const taken = (await client.query<PayloadRow>(sql.takePayload, [src])).rows[0]
      const rows = (await client.query<BlockRow>(sql.deleteByPayload, [src])).rows.map((r) =>
        fromBlockRow(r, BACKEND),
      )
      if (taken === undefined || !matchesExpected(rows, options.expectedVersions)) {
        broken = await rollback(client)
        return false
      }
      const record = fromPayloadRow(taken, BACKEND)
      await client.query(sql.deleteByPayload, [dst])
      // A fresh value of the sequence: no row, live or deleted, ever had it.
      const drawn = (await client.query<{ version: string }>(sql.nextVersion)).rows[0]!
      const version = toSafeInt(drawn.version, 'version', BACKEND)
      for (const row of rows) {
        const idx = parseBlockId(row.id)!.blockIdx
        const moved = movedRow(row, dst, version, options)
        await client.query(sql.insertVersioned, [
          moved.id,
          dst,
          idx,
          hashColumn(moved),
          moved.dataSize,
          moved.localPath,
          moved.blockStoreKey,
          moved.refCount,
          moved.lastAccess,
          moved.createdAt,
          moved.state,
          chunkRootColumn(moved),
          moved.version,
        ])
      }
      await client.query(sql.putPayload, [dst, record.size, record.createdAt, record.modifiedAt])
      await client.query('COMMIT')
      return true
    } catch (err) {
      broken = await rollback(client)
      throw postgresError(err, 'renamePayload')
    }
  } finally {
    client.release(broken)
  }
}
