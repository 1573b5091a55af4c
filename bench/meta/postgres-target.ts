/**
 * PostgreSQL under the metadata bench (only when PG_URL, default 127.0.0.1:5432, answers):
 * the store against bare `pg` queries on one client, in a throwaway schema.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { PostgresMetadataStore } from '../../src/meta/postgres/index.js'
import type { Target } from './target.js'

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** Opens the PostgreSQL target, or resolves `undefined` (logged) when no server answers. */
export async function openPostgresTarget(log: (m: string) => void): Promise<Target | undefined> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
  } catch (err) {
    log(
      `postgres skipped: ${PG_URL} unreachable (${(err as Error).message}); run .ci/start-postgres.sh`,
    )
    return undefined
  }
  const schema = `ditto_bench_${randomBytes(4).toString('hex')}`
  const store = await PostgresMetadataStore.open({ connectionString: PG_URL, schema })
  const t = `"${schema}".file_blocks`
  const q = async (sql: string, params: unknown[]): Promise<pg.QueryResult> =>
    client.query(sql, params)
  return {
    name: 'postgres',
    store,
    raw: {
      name: 'bare pg query',
      put: async (row) => {
        const slash = row.id.lastIndexOf('/')
        await q(
          `INSERT INTO ${t} (id, payload_id, block_idx, hash, data_size, local_path, block_store_key,
           ref_count, last_access, created_at, state, version)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1)
           ON CONFLICT (id) DO UPDATE SET hash = EXCLUDED.hash, data_size = EXCLUDED.data_size,
           local_path = EXCLUDED.local_path, block_store_key = EXCLUDED.block_store_key,
           ref_count = EXCLUDED.ref_count, last_access = EXCLUDED.last_access,
           created_at = EXCLUDED.created_at, state = EXCLUDED.state, version = ${t}.version + 1`,
          [
            row.id,
            row.id.slice(0, slash),
            Number(row.id.slice(slash + 1)),
            row.hash.isZero() ? null : row.hash.toString(),
            row.dataSize,
            row.localPath,
            row.blockStoreKey,
            row.refCount,
            row.lastAccess,
            row.createdAt,
            row.state,
          ],
        )
      },
      get: async (id) => {
        await q(`SELECT * FROM ${t} WHERE id = $1`, [id])
      },
      findByHash: async (hex) => {
        await q(`SELECT * FROM ${t} WHERE hash = $1 AND state = 3 LIMIT 1`, [hex])
      },
      cas: async (id, expected) => {
        await q(`UPDATE ${t} SET state = 2, version = version + 1 WHERE id = $1 AND version = $2`, [
          id,
          expected,
        ])
      },
      listPayload: async (payloadId) =>
        (await q(`SELECT * FROM ${t} WHERE payload_id = $1 ORDER BY block_idx`, [payloadId]))
          .rowCount ?? 0,
    },
    // Same rows as bulkRow(i): ids bulk/{i / P}/{i % P}, hash = i as 64 hex digits.
    load: async (from, to, payloadBlocks) => {
      await q(
        `INSERT INTO ${t} (id, payload_id, block_idx, hash, data_size, local_path, block_store_key,
         ref_count, last_access, created_at, state, version)
         SELECT 'bulk/' || (g / $3) || '/' || (g % $3), 'bulk/' || (g / $3), g % $3,
           lpad(to_hex(g), 64, '0'), 4096, '/l', 'bulk/' || (g / $3) || '/block-' || (g % $3),
           1, g, g, 3, 1
         FROM generate_series($1::bigint, $2::bigint - 1) AS g`,
        [from, to, payloadBlocks],
      )
      await q(`ANALYZE ${t}`, [])
    },
    close: async () => {
      await store.close()
      await client.query(`DROP SCHEMA "${schema}" CASCADE`)
      await client.end()
    },
  }
}
