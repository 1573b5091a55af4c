import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { deferred } from '../../src/core/abort.js'
import { CloseGate } from '../../src/core/close-gate.js'
import { isBlockStoreError } from '../../src/core/errors.js'

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('CloseGate', () => {
  it('runs calls and returns their results while open', async () => {
    const gate = new CloseGate('block store')
    assert.equal(await gate.run('op', undefined, async () => 42), 42)
    assert.equal(gate.closed, false)
  })

  it('rejects calls after close with BS_STORE_CLOSED naming the resource, op and backend', async () => {
    const gate = new CloseGate('local store', 'fs')
    await gate.close(async () => {})
    assert.equal(gate.closed, true)
    let ran = false
    await assert.rejects(
      gate.run('writeAt', undefined, async () => {
        ran = true
      }),
      (err: unknown) =>
        isBlockStoreError(err, 'BS_STORE_CLOSED') &&
        err.message === 'local store is closed (writeAt)' &&
        err.context.op === 'writeAt' &&
        err.context.backend === 'fs',
    )
    assert.equal(ran, false)
  })

  it('rejects with signal.reason before running when the signal is aborted', async () => {
    const gate = new CloseGate('block store')
    const reason = new Error('stop')
    let ran = false
    const run = gate.run('readAt', { signal: AbortSignal.abort(reason) }, async () => {
      ran = true
    })
    await assert.rejects(run, (err) => err === reason)
    assert.equal(ran, false)
  })

  it('refuses new calls at once but closes only after the calls in flight settle', async () => {
    const gate = new CloseGate('block store')
    const release = deferred<void>()
    const events: string[] = []
    const inFlight = gate.run('flush', undefined, async () => {
      await release.promise
      events.push('call done')
    })
    const closing = gate.close(async () => {
      events.push('closed')
    })
    await assert.rejects(
      gate.run('readAt', undefined, async () => {}),
      /closed/,
    )
    await settle()
    assert.deepEqual(events, [])
    release.resolve()
    await Promise.all([inFlight, closing])
    assert.deepEqual(events, ['call done', 'closed'])
  })

  it('waits for a call that fails before closing, and the call keeps its error', async () => {
    const gate = new CloseGate('block store')
    const release = deferred<void>()
    const boom = new Error('boom')
    const inFlight = gate.run('writeAt', undefined, async () => {
      await release.promise
      throw boom
    })
    let closed = false
    const closing = gate.close(async () => {
      closed = true
    })
    await settle()
    assert.equal(closed, false)
    release.resolve()
    await assert.rejects(inFlight, (err) => err === boom)
    await closing
    assert.equal(closed, true)
  })

  it('runs the close work once and every close() shares its outcome', async () => {
    const gate = new CloseGate('block store')
    let runs = 0
    const failure = new Error('close failed')
    const first = gate.close(async () => {
      runs++
      throw failure
    })
    const second = gate.close(async () => {
      runs++
    })
    await assert.rejects(first, (err) => err === failure)
    await assert.rejects(second, (err) => err === failure)
    assert.equal(runs, 1)
  })
})
