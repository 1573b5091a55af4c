/**
 * Load over HTTP, short form: 32 concurrent clients on loopback against the spawned server
 * for LOAD_MS (default 4 s), every read verified against each client's exact model; no
 * errors, and the server's open descriptors after the load are those after warm-up.
 */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { BlockFdPool, FdTolerance, PackFdPool, runHttpLoad } from './support/http-load-campaign.js'

it('32 concurrent HTTP clients for 4 s: no errors, every read verified, no server descriptor leaked', async () => {
  const f = await runHttpLoad(32, Number(process.env.LOAD_MS ?? 4000), 11)
  console.log(JSON.stringify({ httpLoad: f }))
  assert.deepEqual(f.errors, [])
  for (const kind of ['put', 'patch', 'truncate', 'flush', 'get', 'getRange', 'head', 'delete']) {
    assert.ok((f.requests[kind] ?? 0) > 0, `no ${kind} request done`)
  }
  assert.ok(f.fdsAfter <= f.fdsBefore + FdTolerance, `server fds ${f.fdsBefore} -> ${f.fdsAfter}`)
  assert.ok(f.blockFdsAtPeak <= BlockFdPool, `${f.blockFdsAtPeak} block files open`)
  assert.ok(f.packFdsAtPeak <= PackFdPool, `${f.packFdsAtPeak} packs open`)
  assert.equal(f.deletedFdsAtPeak, 0, 'descriptors on deleted files')
  assert.ok(Number.isFinite(f.eventLoopDelayMaxMs), 'event-loop delay reported by /metrics')
})
