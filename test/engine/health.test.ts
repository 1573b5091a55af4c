/** Health, offline mode and the health report of the engine, an outage at start-up included. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pattern } from '../../src/conformance/block-store/fixture.js'
import { BlockSize } from '../../src/core/constants.js'
import { isBlockStoreError } from '../../src/core/errors.js'
import { MemoryRemoteStore } from '../../src/remote/memory/index.js'
import { CountingRemote } from '../support/counting-remote.js'
import {
  makeRemoteOnly,
  manualUploads,
  openTestEngine,
  setOutage,
} from '../support/engine-fixture.js'
import { waitFor } from '../support/wait-for.js'

describe('engine health and offline mode', () => {
  it('flips remoteHealthy, evictionSuspended and the outage duration with the remote (EngineHealthEvictionSuspension, StatsHealthFields)', async () => {
    await using t = await openTestEngine()
    let s = await t.engine.stats()
    assert.equal(s.remoteHealthy, true)
    assert.equal(s.evictionSuspended, false)
    assert.equal(s.outageDurationSeconds, 0)
    await setOutage(t, true)
    s = await t.engine.stats()
    assert.equal(s.remoteHealthy, false)
    assert.equal(s.evictionSuspended, true)
    await setOutage(t, false)
    s = await t.engine.stats()
    assert.equal(s.remoteHealthy, true)
    assert.equal(s.evictionSuspended, false)
    assert.equal(s.outageDurationSeconds, 0)
  })

  it('serves blocks it holds locally during an outage (OfflineReadCachedBlockSucceeds)', async () => {
    await using t = await openTestEngine()
    await t.engine.writeAt('f', pattern(10_000), 0)
    await t.engine.flush('f')
    await t.engine.drainAllUploads()
    await setOutage(t, true)
    const out = new Uint8Array(10_000)
    assert.equal(await t.engine.readAt('f', out, 0), 10_000)
    assert.deepEqual(out, pattern(10_000))
  })

  it('fails reads of remote-only blocks fast, before any network I/O (OfflineReadRemoteOnlyBlockFails)', async () => {
    await using t = await openTestEngine()
    await makeRemoteOnly(t, 'f', pattern(10_000))
    await setOutage(t, true)
    const refused = t.remote.refused
    const reads = t.remote.calls.readBlock + t.remote.calls.readBlockRange
    await assert.rejects(t.engine.readAt('f', new Uint8Array(100), 0), (err) =>
      isBlockStoreError(err, 'BS_REMOTE_UNAVAILABLE'),
    )
    assert.equal(t.remote.refused, refused, 'no remote call was attempted')
    assert.equal(t.remote.calls.readBlock + t.remote.calls.readBlockRange, reads)
  })

  it('accepts writes during an outage and uploads them once the remote is back (OfflineWriteSucceeds, RecoveryDrain)', async () => {
    await using t = await openTestEngine({
      syncer: { ...manualUploads, uploadIntervalMs: 20, uploadDelayMs: 0 },
    })
    await setOutage(t, true)
    for (const pid of ['a', 'b', 'c']) {
      await t.engine.writeAt(pid, pattern(5000, pid.charCodeAt(0)), 0)
      await t.engine.flush(pid)
    }
    await new Promise((r) => setTimeout(r, 100))
    assert.equal((await t.engine.stats()).blocksRemote, 0, 'nothing uploads during the outage')
    await setOutage(t, false)
    await waitFor(
      'the three blocks to upload',
      async () => (await t.engine.stats()).blocksRemote === 3,
    )
  })

  it('counts reads refused during the outage (OfflineReadsBlockedCounter)', async () => {
    await using t = await openTestEngine()
    await makeRemoteOnly(t, 'f', pattern(1000))
    await setOutage(t, true)
    for (let i = 0; i < 3; i++) {
      await assert.rejects(t.engine.readAt('f', new Uint8Array(10), 0))
    }
    assert.ok((await t.engine.stats()).offlineReadsBlocked >= 3)
  })

  it('suppresses prefetch while the remote is unhealthy (PrefetchSuppressedWhenUnhealthy)', async () => {
    // The sequential reads below must copy their blocks to the local tier.
    await using t = await openTestEngine({
      local: { kind: 'memory' },
      cacheFetchedBlocks: 'always',
    })
    const data = pattern(5 * BlockSize, 5)
    await makeRemoteOnly(t, 'seq', data)
    // Blocks 0-2 local again, 3-4 remote-only.
    for (let idx = 0; idx < 3; idx++)
      await t.engine.readAt('seq', new Uint8Array(BlockSize), idx * BlockSize)
    await t.engine.evict({ local: false })
    await setOutage(t, true)
    const before = { ...t.remote.calls, refused: t.remote.refused }
    const blocked = (await t.engine.stats()).offlineReadsBlocked
    for (let idx = 0; idx < 3; idx++)
      await t.engine.readAt('seq', new Uint8Array(BlockSize), idx * BlockSize)
    await new Promise((r) => setTimeout(r, 50))
    assert.equal(t.remote.calls.readBlock, before.readBlock)
    assert.equal(t.remote.refused, before.refused)
    assert.equal((await t.engine.stats()).offlineReadsBlocked, blocked, 'no prefetch was attempted')
  })

  it('sees an outage at start-up and suspends eviction from the first call', async () => {
    const remote = new CountingRemote(new MemoryRemoteStore())
    remote.down = true
    await using t = await openTestEngine({ remote: { store: remote } })
    const s = await t.engine.stats()
    assert.equal(s.remoteHealthy, false)
    assert.equal(s.evictionSuspended, true)
    assert.equal((await t.engine.healthcheck()).status, 'degraded')
  })

  it('reports healthy, then degraded with the reason while the remote is down (HealthyEndToEnd)', async () => {
    await using t = await openTestEngine()
    const ok = await t.engine.healthcheck()
    assert.equal(ok.status, 'healthy')
    assert.ok(ok.checkedAt > 0 && ok.latencyMs >= 0)
    await setOutage(t, true)
    const down = await t.engine.healthcheck()
    assert.equal(down.status, 'degraded')
    assert.match(down.message ?? '', /remote unreachable/)
  })

  it('reports unhealthy naming the local tier once the local store is closed (UnhealthyOnLocalClose)', async () => {
    await using t = await openTestEngine()
    await t.local.close()
    const report = await t.engine.healthcheck()
    assert.equal(report.status, 'unhealthy')
    assert.match(report.message ?? '', /local/)
  })

  it('reports unknown for a cancelled health check instead of rejecting (RespectsCanceledContext)', async () => {
    await using t = await openTestEngine()
    const report = await t.engine.healthcheck({ signal: AbortSignal.abort() })
    assert.equal(report.status, 'unknown')
  })
})
