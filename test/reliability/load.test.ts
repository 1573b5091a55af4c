/**
 * Load, short form: concurrent clients mixing verified reads and writes on one engine (fs +
 * fs + SQLite) for a few seconds: no errors, bounded event-loop delay, no leaked descriptors.
 */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { runLoad } from './support/load-campaign.js'

it('32 concurrent clients for 4 s: no errors, every read verified, no file descriptor leaked', async () => {
  const f = await runLoad(32, Number(process.env.LOAD_MS ?? 4000), 7)
  console.log(JSON.stringify(f))
  assert.deepEqual(f.errors, [])
  assert.ok(f.reads > 0 && f.writes > 0)
  assert.equal(f.fdsAfter, f.fdsBefore, 'open descriptors before and after')
})
