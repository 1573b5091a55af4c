import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Mutex, RwLock } from '../../../src/local/common/state/mutex.js'

describe('Mutex', () => {
  it('serialises holders in arrival order', async () => {
    const m = new Mutex()
    const order: number[] = []
    await Promise.all(
      [1, 2, 3].map(async (n) => {
        const release = await m.lock()
        order.push(n)
        await new Promise((r) => setImmediate(r))
        release()
      }),
    )
    assert.deepEqual(order, [1, 2, 3])
    assert.equal(m.locked, false)
  })

  it('tryLock fails while held and succeeds once released', async () => {
    const m = new Mutex()
    const release = await m.lock()
    assert.equal(m.tryLock(), undefined)
    release()
    release()
    const again = m.tryLock()
    assert.ok(again)
    again()
  })
})

describe('RwLock', () => {
  it('lets readers share and a writer wait for them, then exclude later readers', async () => {
    const l = new RwLock()
    const events: string[] = []
    const r1 = await l.read()
    const r2 = await l.read()
    const writer = l.write().then((release) => {
      events.push('write')
      return release
    })
    const reader = l.read().then((release) => {
      events.push('read3')
      release()
    })
    await new Promise((r) => setImmediate(r))
    assert.deepEqual(events, [])
    r1()
    r2()
    const release = await writer
    await new Promise((r) => setImmediate(r))
    assert.deepEqual(events, ['write'])
    release()
    await reader
    assert.deepEqual(events, ['write', 'read3'])
  })
})
