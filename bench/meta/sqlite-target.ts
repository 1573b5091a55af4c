/**
 * SQLite under the metadata bench: the store (durability "full") against bare better-sqlite3
 * prepared statements on a second connection to the same file with the same pragmas.
 */
import Sqlite from 'better-sqlite3'
import { SqliteMetadataStore } from '../../src/meta/sqlite/index.js'
import { bulkRow, type Target } from './target.js'

const COLUMNS = `id, payload_id, block_idx, hash, data_size, local_path, block_store_key, ref_count,
  last_access, created_at, state, version`

/** Opens the SQLite target on a new file. */
export async function openSqliteTarget(path: string): Promise<Target> {
  const store = await SqliteMetadataStore.open({ path })
  const db = new Sqlite(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  const insert = db.prepare(
    `INSERT INTO file_blocks (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
     ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, data_size = excluded.data_size,
     local_path = excluded.local_path, block_store_key = excluded.block_store_key,
     ref_count = excluded.ref_count, last_access = excluded.last_access,
     created_at = excluded.created_at, state = excluded.state, version = version + 1`,
  )
  const get = db.prepare('SELECT * FROM file_blocks WHERE id = ?')
  const byHash = db.prepare('SELECT * FROM file_blocks WHERE hash = ? AND state = 3 LIMIT 1')
  const cas = db.prepare(
    'UPDATE file_blocks SET state = 2, version = version + 1 WHERE id = ? AND version = ?',
  )
  const list = db.prepare('SELECT * FROM file_blocks WHERE payload_id = ? ORDER BY block_idx')
  const values = (i: number, payloadBlocks: number): unknown[] => {
    const row = bulkRow(i, payloadBlocks)
    const slash = row.id.lastIndexOf('/')
    return [
      row.id,
      row.id.slice(0, slash),
      Number(row.id.slice(slash + 1)),
      row.hash.toString(),
      row.dataSize,
      row.localPath,
      row.blockStoreKey,
      row.refCount,
      row.lastAccess,
      row.createdAt,
      row.state,
    ]
  }
  return {
    name: 'sqlite',
    store,
    raw: {
      name: 'bare better-sqlite3 prepared statement',
      put: async (row) => {
        const slash = row.id.lastIndexOf('/')
        insert.run(
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
        )
      },
      get: async (id) => {
        get.get(id)
      },
      findByHash: async (hex) => {
        byHash.get(hex)
      },
      cas: async (id, expected) => {
        cas.run(id, expected)
      },
      listPayload: async (payloadId) => list.all(payloadId).length,
    },
    load: async (from, to, payloadBlocks) => {
      const batch = db.transaction((start: number, end: number) => {
        for (let i = start; i < end; i++) insert.run(...values(i, payloadBlocks))
      })
      for (let i = from; i < to; i += 50_000) batch(i, Math.min(to, i + 50_000))
    },
    close: async () => {
      db.close()
      await store.close()
    },
  }
}
