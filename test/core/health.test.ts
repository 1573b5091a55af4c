import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { probeHealth } from '../../src/core/index.js'

describe('probeHealth', () => {
  it('reports healthy with a timestamp and latency when the probe succeeds', async () => {
    const before = Date.now()
    const r = await probeHealth(async () => {})
    assert.equal(r.status, 'healthy')
    assert.ok(r.checkedAt >= before)
    assert.ok(r.latencyMs >= 0)
    assert.equal(r.message, undefined)
  })

  it('reports unhealthy with the error message when the probe fails', async () => {
    const r = await probeHealth(async () => {
      throw new Error('disk on fire')
    })
    assert.equal(r.status, 'unhealthy')
    assert.equal(r.message, 'disk on fire')
  })

  it('reports unknown for an already aborted signal without probing', async () => {
    let probed = false
    const r = await probeHealth(
      async () => {
        probed = true
      },
      AbortSignal.abort(new Error('cancelled')),
    )
    assert.equal(r.status, 'unknown')
    assert.ok(!probed)
    assert.ok(r.checkedAt > 0)
  })
})
