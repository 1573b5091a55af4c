import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  PrefetchMaxDepth,
  PrefetchThreshold,
  SequentialDetector,
} from '../../src/readbuffer/sequential-detector.js'

describe('SequentialDetector', () => {
  it('follows the reference example: 0, 1, 2 ask for 3; then 4-5; then 5-8', () => {
    const d = new SequentialDetector()
    assert.equal(PrefetchThreshold, 2)
    assert.deepEqual(d.onRead('f', 0), { first: 1, count: 0 })
    assert.deepEqual(d.onRead('f', 1), { first: 2, count: 0 })
    assert.deepEqual(d.onRead('f', 2), { first: 3, count: 1 })
    assert.deepEqual(d.onRead('f', 3), { first: 4, count: 2 })
    assert.deepEqual(d.onRead('f', 4), { first: 5, count: 4 })
    assert.deepEqual(d.onRead('f', 5), { first: 6, count: PrefetchMaxDepth })
    assert.deepEqual(d.onRead('f', 6), { first: 7, count: PrefetchMaxDepth })
  })

  it('a repeated read of the current block changes nothing and asks for nothing', () => {
    const d = new SequentialDetector()
    d.onRead('f', 0)
    d.onRead('f', 1)
    d.onRead('f', 2)
    const before = d.tracker('f')
    for (let i = 0; i < 16; i++) assert.deepEqual(d.onRead('f', 2), { first: 3, count: 0 })
    assert.deepEqual(d.tracker('f'), before)
  })

  it('a backward or skipping read resets the pattern', () => {
    const d = new SequentialDetector()
    for (const i of [0, 1, 2, 3]) d.onRead('f', i)
    d.onRead('f', 2)
    assert.deepEqual(d.tracker('f'), { lastIdx: 2, seqCount: 0, depth: 1 })
    for (const i of [3, 4, 6]) d.onRead('f', i)
    assert.deepEqual(d.tracker('f'), { lastIdx: 6, seqCount: 0, depth: 1 })
  })

  it('forgets the least recently read payload beyond its tracker limit', () => {
    const d = new SequentialDetector(2)
    d.onRead('a', 0)
    d.onRead('b', 0)
    d.onRead('a', 1)
    d.onRead('c', 0)
    assert.equal(d.size, 2)
    assert.equal(d.tracker('b'), undefined)
    assert.equal(d.tracker('a')?.lastIdx, 1)
    assert.throws(() => new SequentialDetector(0), RangeError)
  })

  it('reset and clear forget patterns', () => {
    const d = new SequentialDetector()
    d.onRead('a', 0)
    d.onRead('b', 0)
    d.reset('a')
    assert.equal(d.tracker('a'), undefined)
    d.clear()
    assert.equal(d.size, 0)
  })
})
