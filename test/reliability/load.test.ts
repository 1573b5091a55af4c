/**
 * Load, short form: concurrent clients mixing verified reads, writes, truncates, deletes and
 * payload copies on one engine for a few seconds, with uploads, evictions and zero-grace GC
 * running concurrently; then every payload verified cold from the remote. No errors, bounded
 * event-loop delay, no leaked descriptors. LOAD_MS and LOAD_SEED scale and vary the runs.
 */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { type LoadFigures, runLoad } from './support/load-campaign.js'
import { s3PostgresLoadEngine, s3PostgresTarget } from './support/targets.js'

const ms = Number(process.env.LOAD_MS ?? 3000)
const seed = Number(process.env.LOAD_SEED ?? 7)

/** `relations`: the run is long enough to require copies onto both new and existing payloads. */
function check(f: LoadFigures, relations: boolean): void {
  console.log(JSON.stringify(f))
  assert.deepEqual(f.errors, [])
  assert.ok(f.reads > 0 && f.writes > 0 && f.copy.copies > 0)
  if (relations) assert.ok(f.copy.fresh > 0 && f.copy.grows + f.copy.shrinks + f.copy.sameSize > 0)
  assert.ok(f.background.gcRuns > 0 && f.background.evictions > 0)
  assert.ok(f.bytesVerifiedCold > 0)
  // A leak is growth. Fewer after is something released that predates the run: a database
  // pool's idle connection timing out, an idle hash worker thread exiting.
  assert.ok(f.fdsAfter <= f.fdsBefore, `open descriptors ${f.fdsBefore} -> ${f.fdsAfter}`)
}

it('32 concurrent clients copying, writing and reading under GC and eviction: every byte verified cold', async () => {
  check(await runLoad(32, ms, seed), true)
})

it('the same campaign on fs local + S3 + PostgreSQL: every byte verified cold', async (t) => {
  const opened = await s3PostgresTarget()
  if (typeof opened === 'string') return t.skip(opened)
  try {
    check(
      await runLoad(4, Number(process.env.LOAD_S3_MS ?? 2000), seed + 1, {
        engine: s3PostgresLoadEngine(opened),
        target: opened.target.name,
      }),
      // The short default makes only a few copies here (each PostgreSQL and S3 round trip is
      // slower); LOAD_S3_MS scales it up for the long runs.
      Number(process.env.LOAD_S3_MS ?? 0) >= 10_000,
    )
  } finally {
    await opened.dispose()
  }
})
