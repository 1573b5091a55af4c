/** Remote read failures reported to the health monitor (HealthMonitor.reportReadFailure). */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BlockStoreError } from '../../src/core/errors.js'
import { HealthMonitor, isRemoteOutage } from '../../src/sync/health-monitor.js'

const slow = { intervalMs: 60_000, unhealthyIntervalMs: 60_000 }

async function started(fail: { now: boolean }): Promise<{ m: HealthMonitor; calls: () => number }> {
  let calls = 0
  const m = new HealthMonitor({
    probe: async () => {
      calls++
      if (fail.now) throw new Error('remote down')
    },
    ...slow,
  })
  await m.start()
  return { m, calls: () => calls }
}

/** Lets the confirming probe started by a report settle. */
const settle = (m: HealthMonitor): Promise<boolean> => m.probeNow()

describe('HealthMonitor.reportReadFailure', () => {
  it('marks the remote down at once when the confirming probe fails too', async () => {
    const fail = { now: false }
    const { m, calls } = await started(fail)
    fail.now = true
    const transitions: boolean[] = []
    m.onTransition((h) => transitions.push(h))
    m.reportReadFailure(new BlockStoreError('BS_UNAVAILABLE', 'ENOTDIR'))
    await settle(m)
    assert.equal(m.isHealthy(), false)
    assert.deepEqual(transitions, [false])
    assert.equal(calls(), 2, 'the eager probe, then one confirming probe')
    await m.stop()
  })

  it('stays healthy and clears the count when the confirming probe succeeds', async () => {
    const { m } = await started({ now: false })
    m.reportReadFailure(new Error('ECONNRESET'))
    await settle(m)
    assert.equal(m.isHealthy(), true)
    assert.equal(m.state().consecutiveFailures, 0)
    await m.stop()
  })

  it('ignores a missing or corrupt object, a closed store and a cancelled read', async () => {
    const { m, calls } = await started({ now: true })
    const before = m.state().consecutiveFailures
    for (const err of [
      new BlockStoreError('BS_BLOCK_NOT_FOUND', 'gone'),
      new BlockStoreError('BS_INTEGRITY_CHECK_FAILED', 'bad bytes'),
      new BlockStoreError('BS_STORE_CLOSED', 'closed'),
      Object.assign(new Error('aborted'), { name: 'AbortError' }),
    ]) {
      assert.equal(isRemoteOutage(err), false)
      m.reportReadFailure(err)
    }
    assert.equal(m.state().consecutiveFailures, before)
    assert.equal(calls(), 1, 'no probe started')
    await m.stop()
  })

  it('counts outage errors: I/O, timeouts, refused credentials', () => {
    for (const err of [
      new BlockStoreError('BS_UNAVAILABLE', 'EIO'),
      new BlockStoreError('BS_REMOTE_UNAVAILABLE', 'budget exceeded'),
      new BlockStoreError('BS_ACCESS_DENIED', '403'),
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    ]) {
      assert.equal(isRemoteOutage(err), true, String(err))
    }
  })
})
