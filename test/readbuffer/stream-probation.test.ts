/**
 * Stream resistance of the read buffer: blocks a sequential stream has read to their end go on
 * a small probation instead of the recently used end, so one pass over a large payload neither
 * pushes out the blocks other readers use nor holds memory behind the stream.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createReadBuffer } from '../../src/readbuffer/create-read-buffer.js'
import type { ReadBuffer } from '../../src/readbuffer/read-buffer.js'

// Small blocks keep the tests light; the arithmetic is the same at 8 MiB.
const BS = 1024

function data(fill: number, size = BS): Uint8Array {
  return new Uint8Array(size).fill(fill)
}

/** A buffer of `blocks` whole blocks: its probation holds a quarter of them. */
function buffer(blocks: number): ReadBuffer {
  return createReadBuffer(blocks * BS, { blockSize: BS })
}

/** Reads the whole block (as a stream passing through it would). */
function readWhole(buf: ReadBuffer, pid: string, idx: number): number | undefined {
  return buf.get(pid, idx, new Uint8Array(BS), 0)
}

/** Streams `count` blocks of `pid` through the buffer: read-ahead put, then read to the end. */
function stream(buf: ReadBuffer, pid: string, count: number): void {
  for (let i = 0; i < count; i++) {
    assert.ok(buf.put(pid, i, data(i), { prefetched: true, streamed: true, adopt: true }))
    assert.equal(readWhole(buf, pid, i), BS)
  }
}

describe('read buffer: streamed blocks go on probation once read', () => {
  it('a long stream keeps the hot blocks and only a few of its own', () => {
    const buf = buffer(8)
    for (let i = 0; i < 4; i++) {
      buf.put('hot', i, data(100 + i))
      assert.equal(readWhole(buf, 'hot', i), BS)
    }
    stream(buf, 'big', 40)
    for (let i = 0; i < 4; i++) assert.ok(buf.contains('hot', i), `hot/${i} kept`)
    // Probation is a quarter of the budget: the two blocks just behind the stream.
    assert.ok(buf.contains('big', 39) && buf.contains('big', 38))
    assert.ok(!buf.contains('big', 37))
    assert.deepEqual(
      { entries: buf.stats().entries, bytes: buf.stats().bytes },
      { entries: 6, bytes: 6 * BS },
    )
  })

  it('without the stream flag the same pass is an ordinary LRU (the hot blocks go)', () => {
    const buf = buffer(8)
    for (let i = 0; i < 4; i++) buf.put('hot', i, data(100 + i))
    for (let i = 0; i < 40; i++) {
      buf.put('big', i, data(i), { adopt: true })
      readWhole(buf, 'big', i)
    }
    for (let i = 0; i < 4; i++) assert.ok(!buf.contains('hot', i))
    assert.equal(buf.stats().entries, 8)
  })

  it('a block read again while on probation is promoted and stays', () => {
    const buf = buffer(8)
    stream(buf, 's', 1)
    // A second reader close behind the stream: the block is hot after all.
    const dest = new Uint8Array(BS)
    assert.equal(buf.get('s', 0, dest, 0), BS)
    assert.deepEqual(dest, data(0))
    stream(buf, 'other', 10)
    assert.ok(buf.contains('s', 0))
  })

  it('a block read only in part stays in the recently used list', () => {
    const buf = buffer(8)
    buf.put('s', 0, data(7), { prefetched: true, streamed: true, adopt: true })
    assert.equal(buf.get('s', 0, new Uint8Array(100), 0), 100)
    stream(buf, 'other', 10)
    assert.ok(buf.contains('s', 0), 'the stream is still inside it')
    // Read to its end later: now it is consumed.
    assert.equal(buf.get('s', 0, new Uint8Array(BS), 100), BS - 100)
    stream(buf, 'third', 3)
    assert.ok(!buf.contains('s', 0))
  })

  it('a sequential reader that consumed its own fetch puts it straight on probation', () => {
    const buf = buffer(8)
    for (let i = 0; i < 6; i++) buf.put('hot', i, data(i))
    for (let i = 0; i < 10; i++) {
      assert.ok(buf.put('seq', i, data(i), { streamed: true, consumed: true, adopt: true }))
    }
    for (let i = 0; i < 6; i++) assert.ok(buf.contains('hot', i))
    assert.deepEqual(
      [8, 9].map((i) => buf.contains('seq', i)),
      [true, true],
    )
    assert.equal(buf.stats().entries, 8)
    // `consumed` alone (not a stream) is an ordinary put.
    buf.put('plain', 0, data(1), { consumed: true })
    assert.ok(buf.contains('plain', 0))
    assert.equal(buf.stats().bytes, 8 * BS)
  })

  it('budget pressure evicts probation before the least recently used block', () => {
    const buf = buffer(8)
    for (let i = 0; i < 6; i++) buf.put('hot', i, data(i))
    stream(buf, 's', 2)
    assert.equal(buf.stats().entries, 8)
    buf.put('new', 0, data(9))
    assert.ok(buf.contains('hot', 0), 'the oldest LRU block is kept')
    assert.ok(!buf.contains('s', 0), 'the oldest probation block went first')
    assert.equal(buf.stats().bytes, 8 * BS)
  })

  it('keeps its byte count exact through replacements and invalidations on probation', () => {
    const buf = buffer(8)
    stream(buf, 's', 2)
    // A shorter copy of a block on probation (a new fill after a truncate, say).
    buf.put('s', 1, data(5, 300))
    assert.deepEqual({ e: buf.stats().entries, b: buf.stats().bytes }, { e: 2, b: BS + 300 })
    buf.invalidate('s', 0)
    assert.deepEqual({ e: buf.stats().entries, b: buf.stats().bytes }, { e: 1, b: 300 })
    stream(buf, 't', 3)
    buf.invalidateAndReset('t')
    assert.deepEqual({ e: buf.stats().entries, b: buf.stats().bytes }, { e: 1, b: 300 })
    assert.equal(buf.clear(), 1)
    assert.deepEqual({ e: buf.stats().entries, b: buf.stats().bytes }, { e: 0, b: 0 })
    stream(buf, 'u', 1)
    assert.equal(buf.stats().bytes, BS)
  })

  it('a stream over a payload of at most a quarter of the budget is cached whole', () => {
    const buf = buffer(16)
    // 4 blocks = a quarter of 16: all kept, so a second pass is served from memory.
    for (let i = 0; i < 4; i++) {
      const put = { prefetched: true, streamed: true, adopt: true, payloadSize: 4 * BS }
      assert.ok(buf.put('small', i, data(i), put))
      assert.equal(readWhole(buf, 'small', i), BS)
    }
    // A long stream over a large payload afterwards takes only probation's room.
    for (let i = 0; i < 40; i++) {
      const put = { prefetched: true, streamed: true, adopt: true, payloadSize: 40 * BS }
      assert.ok(buf.put('large', i, data(i), put))
      assert.equal(readWhole(buf, 'large', i), BS)
    }
    for (let i = 0; i < 4; i++) assert.ok(buf.contains('small', i), `small/${i} kept`)
    assert.ok(!buf.contains('large', 0))
  })

  it('one byte over a quarter of the budget and the stream is on probation', () => {
    const buf = buffer(16)
    for (let i = 0; i < 16; i++) {
      const put = { streamed: true, adopt: true, payloadSize: 4 * BS + 1 }
      assert.ok(buf.put('edge', i, data(i), put))
      assert.equal(readWhole(buf, 'edge', i), BS)
    }
    assert.equal(buf.stats().entries, 4, 'only probation (a quarter of 16 blocks) is kept')
  })
})
