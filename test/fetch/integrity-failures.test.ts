/**
 * A fetched block or range whose bytes do not match their hash: refused with
 * BS_INTEGRITY_CHECK_FAILED, counted (fetcher, health monitor, engine stats), never counted
 * as an outage (other blocks stay readable), and never remembered: the next read fetches again.
 */
import assert from 'node:assert/strict'
import { randomFillSync } from 'node:crypto'
import { describe, it } from 'node:test'
import { BlockSize } from '../../src/core/constants.js'
import { isBlockStoreError } from '../../src/core/errors.js'
import { rowOf } from '../../src/engine/read-path.js'
import { Fetcher } from '../../src/fetch/fetcher.js'
import { MemoryRemoteStore } from '../../src/remote/memory/index.js'
import { HealthMonitor } from '../../src/sync/health-monitor.js'
import { makeRemoteOnly, openTestEngine } from '../support/engine-fixture.js'
import { randomRemoteBlock } from './random-remote-block.js'

const integrity = (err: unknown): boolean => isBlockStoreError(err, 'BS_INTEGRITY_CHECK_FAILED')

/** Overwrites the object of `pid`'s block `idx` with the same bytes, one of them flipped. */
async function corrupt(
  t: Awaited<ReturnType<typeof openTestEngine>>,
  pid: string,
  idx: number,
  at: number,
): Promise<void> {
  const row = await rowOf(t.metadata, pid, idx)
  assert.ok(row !== undefined && row.blockStoreKey !== '')
  const bytes = (await t.remote.readBlock(row.blockStoreKey)).slice()
  bytes[at] = (bytes[at] ?? 0) ^ 0xff
  await t.remote.writeBlock(row.blockStoreKey, bytes)
}

describe('integrity failures of fetched data', () => {
  it('the health monitor records them without marking the remote unhealthy', async () => {
    const m = new HealthMonitor({
      probe: async () => undefined,
      intervalMs: 60_000,
      unhealthyIntervalMs: 60_000,
    })
    await m.start()
    const transitions: boolean[] = []
    m.onTransition((h) => transitions.push(h))
    const remote = new MemoryRemoteStore()
    const { data, key, row } = randomRemoteBlock()
    const bad = data.slice()
    bad[12345] = (bad[12345] ?? 0) ^ 1
    await remote.writeBlock(key, bad)
    const fetcher = new Fetcher({ remote, health: m })
    // More failures than the outage threshold (3): still healthy, every one counted.
    for (let i = 0; i < 4; i++) await assert.rejects(fetcher.fetchBlock(row), integrity)
    assert.equal(m.isHealthy(), true)
    assert.deepEqual(transitions, [])
    assert.equal(m.state().consecutiveFailures, 0)
    assert.equal(m.state().integrityFailures, 4)
    assert.match(m.state().lastIntegrityError ?? '', /do not match their SHA-256/)
    assert.equal(fetcher.stats().integrityFailures, 4)
    await m.stop()
    await remote.close()
  })

  it('a corrupt block fails its reads, others stay readable, and a repaired one reads again', async () => {
    await using t = await openTestEngine({ prefetchWorkers: 0 })
    const data = randomFillSync(new Uint8Array(2 * BlockSize))
    await makeRemoteOnly(t, 'p', data)
    const row0 = await rowOf(t.metadata, 'p', 0)
    const good = await t.remote.readBlock(row0?.blockStoreKey ?? '')
    await corrupt(t, 'p', 0, 777)
    const dest = new Uint8Array(BlockSize)
    const gets0 = t.remote.calls.readBlock
    await assert.rejects(t.engine.readAt('p', dest, 0), integrity)
    // The verdict is not kept: a second read fetches again (and fails again).
    await assert.rejects(t.engine.readAt('p', dest, 0), integrity)
    assert.equal(t.remote.calls.readBlock - gets0, 2)
    assert.equal(await t.engine.readAt('p', dest, BlockSize), BlockSize)
    assert.deepEqual(dest, data.subarray(BlockSize))
    const stats = await t.engine.stats()
    assert.equal(stats.remoteHealthy, true)
    assert.equal(stats.integrityFailures, 2)
    // Repaired in place (same content key): readable again, no restart needed.
    await t.remote.writeBlock(row0?.blockStoreKey ?? '', good)
    assert.equal(await t.engine.readAt('p', dest, 0), BlockSize)
    assert.deepEqual(dest, data.subarray(0, BlockSize))
  })

  it('a corrupt range is refused and counted, never served', async () => {
    await using t = await openTestEngine({ prefetchWorkers: 0, rangedReadThreshold: 64 * 1024 })
    const data = randomFillSync(new Uint8Array(BlockSize))
    await makeRemoteOnly(t, 'p', data)
    await corrupt(t, 'p', 0, 5 * 4096 + 7)
    const small = new Uint8Array(4096)
    const ranges0 = t.remote.calls.readBlockRange
    await assert.rejects(t.engine.readAt('p', small, 5 * 4096), integrity)
    assert.ok(t.remote.calls.readBlockRange > ranges0, 'the read went by range')
    // An intact leaf of the same block still reads.
    assert.equal(await t.engine.readAt('p', small, 100 * 4096), 4096)
    assert.deepEqual(small, data.subarray(100 * 4096, 101 * 4096))
    const stats = await t.engine.stats()
    assert.equal(stats.integrityFailures, 1)
    assert.equal(stats.remoteHealthy, true)
  })
})
