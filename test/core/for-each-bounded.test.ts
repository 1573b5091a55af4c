import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type Deferred, deferred } from '../../src/core/abort.js'
import { forEachBounded } from '../../src/core/for-each-bounded.js'

/** Lets every pending callback and microtask run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** A worker whose calls block until released, recording starts and concurrency. */
function gatedWorker(): {
  started: number[]
  gates: Map<number, Deferred<void>>
  maxInFlight: () => number
  fn: (item: number, index: number) => Promise<void>
} {
  const started: number[] = []
  const gates = new Map<number, Deferred<void>>()
  let inFlight = 0
  let max = 0
  const fn = async (item: number): Promise<void> => {
    started.push(item)
    inFlight++
    max = Math.max(max, inFlight)
    const gate = deferred<void>()
    gates.set(item, gate)
    try {
      await gate.promise
    } finally {
      inFlight--
    }
  }
  return { started, gates, maxInFlight: () => max, fn }
}

/** Tracks whether a promise has settled, without leaving it unhandled. */
function track(promise: Promise<void>): { settled: () => boolean; result: Promise<unknown> } {
  let done = false
  const result = promise.then(
    () => {
      done = true
      return 'resolved'
    },
    (err: unknown) => {
      done = true
      return err
    },
  )
  return { settled: () => done, result }
}

describe('forEachBounded', () => {
  it('calls fn once per item with its index, starting items in input order', async () => {
    const seen: [string, number][] = []
    await forEachBounded(['a', 'b', 'c', 'd', 'e'], 2, async (item, index) => {
      seen.push([item, index])
      await settle()
    })
    assert.deepEqual(seen, [
      ['a', 0],
      ['b', 1],
      ['c', 2],
      ['d', 3],
      ['e', 4],
    ])
  })

  it('never has more than limit calls in flight and reaches the limit', async () => {
    const w = gatedWorker()
    const run = track(forEachBounded([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3, w.fn))
    await settle()
    assert.deepEqual(w.started, [0, 1, 2])
    // Release out of order: each release lets exactly one new item start.
    for (const item of [1, 0, 2, 4, 3, 5, 7, 6, 8, 9]) {
      w.gates.get(item)!.resolve()
      await settle()
    }
    assert.equal(await run.result, 'resolved')
    assert.deepEqual(w.started, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert.equal(w.maxInFlight(), 3)
  })

  it('runs one call at a time with limit 1', async () => {
    let inFlight = 0
    const order: number[] = []
    await forEachBounded([3, 1, 2], 1, async (item) => {
      assert.equal(++inFlight, 1)
      await settle()
      order.push(item)
      inFlight--
    })
    assert.deepEqual(order, [3, 1, 2])
  })

  it('resolves without calling fn for no items, whatever the limit', async () => {
    let calls = 0
    await forEachBounded([], 1_000_000, async () => calls++)
    assert.equal(calls, 0)
  })

  it('starts no new item after a failure and rejects with it once in-flight calls settle', async () => {
    const w = gatedWorker()
    const boom = new Error('item 1 failed')
    const run = track(forEachBounded([0, 1, 2, 3, 4, 5], 3, w.fn))
    await settle()
    w.gates.get(1)!.reject(boom)
    await settle()
    // Items 0 and 2 are still running: the call has not settled and nothing new started.
    assert.equal(run.settled(), false)
    assert.deepEqual(w.started, [0, 1, 2])
    w.gates.get(0)!.resolve()
    await settle()
    assert.equal(run.settled(), false)
    assert.deepEqual(w.started, [0, 1, 2])
    w.gates.get(2)!.resolve()
    assert.equal(await run.result, boom)
    assert.deepEqual(w.started, [0, 1, 2])
  })

  it('rejects with the first failure when in-flight calls fail afterwards', async () => {
    const w = gatedWorker()
    const first = new Error('first')
    const run = track(forEachBounded([0, 1, 2], 3, w.fn))
    await settle()
    w.gates.get(2)!.reject(first)
    await settle()
    w.gates.get(0)!.reject(new Error('second'))
    w.gates.get(1)!.reject(new Error('third'))
    assert.equal(await run.result, first)
  })

  it('treats a synchronous throw from fn as a failure', async () => {
    const boom = new Error('sync')
    const started: number[] = []
    const fn = (item: number): Promise<void> => {
      started.push(item)
      if (item === 1) throw boom
      return Promise.resolve()
    }
    await assert.rejects(forEachBounded([0, 1, 2, 3], 1, fn), (err) => err === boom)
    assert.deepEqual(started, [0, 1])
  })

  it('rejects with the reason of an already aborted signal without calling fn', async () => {
    const reason = new Error('cancelled')
    let calls = 0
    const run = forEachBounded([1, 2], 2, async () => calls++, {
      signal: AbortSignal.abort(reason),
    })
    await assert.rejects(run, (err) => err === reason)
    assert.equal(calls, 0)
  })

  it('stops starting items on abort and rejects with signal.reason after in-flight settle', async () => {
    const w = gatedWorker()
    const controller = new AbortController()
    const run = track(forEachBounded([0, 1, 2, 3, 4], 2, w.fn, { signal: controller.signal }))
    await settle()
    controller.abort()
    w.gates.get(0)!.resolve()
    await settle()
    assert.equal(run.settled(), false)
    w.gates.get(1)!.resolve()
    const err = await run.result
    assert.ok(err instanceof DOMException && err.name === 'AbortError')
    assert.equal(err, controller.signal.reason)
    assert.deepEqual(w.started, [0, 1])
  })

  for (const limit of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    it(`rejects a limit of ${limit} with a RangeError before calling fn`, async () => {
      let calls = 0
      await assert.rejects(
        forEachBounded([1], limit, async () => calls++),
        RangeError,
      )
      assert.equal(calls, 0)
    })
  }
})
