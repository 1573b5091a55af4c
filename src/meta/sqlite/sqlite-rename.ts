/**
 * `renamePayload` of the SQLite store: one IMMEDIATE transaction (the database's write lock,
 * so no other process or handle can interleave), committed and fsynced like every mutation.
 */
import type { Database } from 'better-sqlite3'
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
} from '../row-codec.js'
import type { SqliteStatements } from './statements.js'

const BACKEND = 'sqlite'

/** Moves `src` onto `dst`; `false` (nothing changed) when `src` is not as expected. */
export function renameSqlitePayload(
  db: Database,
  sql: SqliteStatements,
  src: string,
  dst: string,
  options: RenamePayloadOptions,
): boolean {
  return db
    .transaction(() => {
      const stored = sql.getPayload.get(src) as PayloadRow | undefined
      const record = stored === undefined ? undefined : fromPayloadRow(stored, BACKEND)
      const rows = (sql.byPayload.all(src) as BlockRow[]).map((r) => fromBlockRow(r, BACKEND))
      if (record === undefined || !matchesExpected(rows, options.expectedVersions)) return false
      sql.deleteByPayload.run(dst)
      sql.deleteByPayload.run(src)
      // The deletes raised the floor above the source's and the replaced rows' versions.
      const { removed } = sql.removedVersions.get() as { removed: number }
      for (const row of rows) {
        const idx = parseBlockId(row.id)!.blockIdx
        const moved = movedRow(row, dst, removed + 1, options)
        sql.insertVersioned.run({
          id: moved.id,
          payloadId: dst,
          blockIdx: idx,
          hash: hashColumn(moved),
          dataSize: moved.dataSize,
          localPath: moved.localPath,
          blockStoreKey: moved.blockStoreKey,
          refCount: moved.refCount,
          lastAccess: moved.lastAccess,
          createdAt: moved.createdAt,
          state: moved.state,
          version: moved.version,
          chunkRoot: chunkRootColumn(moved),
        })
      }
      sql.deletePayload.run(src)
      sql.putPayload.run({
        id: dst,
        size: record.size,
        createdAt: record.createdAt,
        modifiedAt: record.modifiedAt,
      })
      return true
    })
    .immediate()
}
