/**
 * Block counts of the SQLite store, in slices of the primary key with a yield to the event
 * loop between them: better-sqlite3 calls are synchronous, and one scan of a million rows would
 * stall every other caller for about a second (a slice of 10,000 rows takes a few ms). Slices
 * may see different commits: the counts are statistics, not a snapshot.
 */
import type { BlockCounts } from '../../core/metadata-store.js'
import type { SqliteStatements } from './statements.js'

/** Rows counted per slice (a few ms of the event loop each). */
const COUNT_SLICE = 10_000

/** One slice (sums are NULL over no rows). */
interface CountSlice {
  readonly last: string | null
  readonly n: number
  readonly dirty: number | null
  readonly local: number | null
  readonly remote: number | null
  readonly cached: number | null
  readonly oldest: number | null
}

/** Counts every row by state, and the payload records; `run` applies the store's checks. */
export async function countSqliteBlocks(
  sql: SqliteStatements,
  run: <T>(fn: () => T) => T,
): Promise<BlockCounts> {
  const c = { dirty: 0, local: 0, remote: 0, remoteCached: 0 }
  let oldest: number | undefined
  let after = ''
  for (;;) {
    const slice = run(() => sql.countChunk.get(after, COUNT_SLICE)) as CountSlice
    c.dirty += slice.dirty ?? 0
    c.local += slice.local ?? 0
    c.remote += slice.remote ?? 0
    c.remoteCached += slice.cached ?? 0
    if (slice.oldest !== null) oldest = Math.min(oldest ?? slice.oldest, slice.oldest)
    if (slice.n < COUNT_SLICE || slice.last === null) break
    after = slice.last
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
  const payloads = run(() => sql.countPayloads.get()) as { n: number }
  return { ...c, oldestUnsyncedAccess: oldest, payloads: payloads.n }
}
