import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { HealthMonitor } from '../../src/sync/health-monitor.js'
import { waitFor } from '../support/wait-for.js'

/** A probe whose outcome the test sets. */
function controllable(): { probe: () => Promise<void>; fail: boolean; calls: number } {
  const c = {
    fail: false,
    calls: 0,
    probe: async (): Promise<void> => {
      c.calls++
      if (c.fail) throw new Error('remote down')
    },
  }
  return c
}

const slow = { intervalMs: 60_000, unhealthyIntervalMs: 60_000 }

describe('HealthMonitor', () => {
  it('starts healthy when the eager probe succeeds', async () => {
    const p = controllable()
    const m = new HealthMonitor({ probe: p.probe, ...slow })
    await m.start()
    assert.ok(m.isHealthy())
    assert.equal(p.calls, 1)
    assert.equal(m.outageDurationMs(), 0)
    await m.stop()
  })

  it('becomes unhealthy after three consecutive failures', async () => {
    const p = controllable()
    const m = new HealthMonitor({ probe: p.probe, ...slow })
    await m.start()
    p.fail = true
    await m.probeNow()
    await m.probeNow()
    assert.ok(m.isHealthy(), 'two failures are not enough')
    await m.probeNow()
    assert.ok(!m.isHealthy())
    assert.equal(m.state().consecutiveFailures, 3)
    assert.equal(m.state().lastError, 'remote down')
    await m.stop()
  })

  it('stays healthy after fewer than three failures and resets on success', async () => {
    const p = controllable()
    const m = new HealthMonitor({ probe: p.probe, ...slow })
    await m.start()
    p.fail = true
    await m.probeNow()
    await m.probeNow()
    p.fail = false
    await m.probeNow()
    p.fail = true
    await m.probeNow()
    await m.probeNow()
    assert.ok(m.isHealthy())
    await m.stop()
  })

  it('recovers after one success and reports transitions in order', async () => {
    const p = controllable()
    const m = new HealthMonitor({ probe: p.probe, failureThreshold: 3, ...slow })
    const seen: boolean[] = []
    m.onTransition((h) => seen.push(h))
    await m.start()
    p.fail = true
    for (let i = 0; i < 3; i++) await m.probeNow()
    p.fail = false
    await m.probeNow()
    assert.ok(m.isHealthy())
    assert.deepEqual(seen, [false, true])
    await m.stop()
  })

  it('is always healthy without a probe', async () => {
    const m = new HealthMonitor({ probe: undefined })
    await m.start()
    assert.ok(m.isHealthy())
    assert.ok(await m.probeNow())
    assert.equal(m.outageDurationMs(), 0)
    await m.stop()
  })

  it('marks an outage at start-up at once and tells listeners registered before start', async () => {
    const p = controllable()
    p.fail = true
    const m = new HealthMonitor({ probe: p.probe, ...slow })
    const seen: boolean[] = []
    m.onTransition((h) => seen.push(h))
    await m.start()
    assert.ok(!m.isHealthy())
    assert.deepEqual(seen, [false])
    await m.stop()
  })

  it('probes at the fast interval while unhealthy, including after a failed eager probe', async () => {
    const p = controllable()
    p.fail = true
    const m = new HealthMonitor({ probe: p.probe, intervalMs: 60_000, unhealthyIntervalMs: 10 })
    await m.start()
    // Both within 2 s of the start.
    const deadline = Date.now() + 2000
    await waitFor('four probes on the fast schedule', () => p.calls >= 4, 2000)
    p.fail = false
    const left = Math.max(0, deadline - Date.now())
    await waitFor('recovery on the fast schedule', () => m.isHealthy(), left)
    await m.stop()
  })

  it('bounds a hung probe with its timeout and counts it as a failure', async () => {
    const m = new HealthMonitor({
      probe: (signal) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason), { once: true })
        }),
      probeTimeoutMs: 30,
      failureThreshold: 1,
      ...slow,
    })
    const t0 = Date.now()
    await m.start()
    assert.ok(Date.now() - t0 < 1000)
    assert.ok(!m.isHealthy())
    assert.match(m.state().lastError ?? '', /timed out/)
    await m.stop()
  })

  it('gives a probe its full timeout even when the interval is shorter', async () => {
    const m = new HealthMonitor({
      probe: () => new Promise((resolve) => setTimeout(resolve, 80)),
      intervalMs: 10,
      unhealthyIntervalMs: 10,
      probeTimeoutMs: 2000,
      failureThreshold: 1,
    })
    await m.start()
    assert.ok(m.isHealthy(), m.state().lastError)
    await m.stop()
  })

  it('stops promptly and ignores a probe cut short by stop', async () => {
    let release: (() => void) | undefined
    const m = new HealthMonitor({
      probe: (signal) =>
        new Promise((resolve, reject) => {
          release = resolve
          signal.addEventListener('abort', () => reject(signal.reason), { once: true })
        }),
      ...slow,
    })
    const started = m.start()
    await new Promise((r) => setImmediate(r))
    const t0 = Date.now()
    await m.stop()
    await started
    assert.ok(Date.now() - t0 < 1000)
    assert.ok(m.isHealthy(), 'a probe aborted by stop is not a failure')
    release?.()
  })

  it('measures the outage duration: 0 healthy, positive unhealthy, 0 after recovery', async () => {
    let now = 1_000
    const p = controllable()
    const m = new HealthMonitor({ probe: p.probe, failureThreshold: 1, now: () => now, ...slow })
    await m.start()
    assert.equal(m.outageDurationMs(), 0)
    p.fail = true
    await m.probeNow()
    now += 2_500
    assert.equal(m.outageDurationMs(), 2_500)
    p.fail = false
    await m.probeNow()
    assert.equal(m.outageDurationMs(), 0)
    await m.stop()
  })
})
