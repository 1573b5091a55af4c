import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { coalesce, contentRange, evaluateRange, multipartFraming } from '../../src/server/range.js'

const partial = (...ranges: [number, number][]) => ({
  kind: 'partial',
  ranges: ranges.map(([start, end]) => ({ start, end })),
})

describe('Range evaluation (RFC 9110 §14)', () => {
  // The examples of RFC 9110 §14.1.2 on a 10000-byte representation.
  it('serves the RFC 9110 examples', () => {
    assert.deepEqual(evaluateRange('bytes=0-499', 10000), partial([0, 499]))
    assert.deepEqual(evaluateRange('bytes=500-999', 10000), partial([500, 999]))
    assert.deepEqual(evaluateRange('bytes=-500', 10000), partial([9500, 9999]))
    assert.deepEqual(evaluateRange('bytes=9500-', 10000), partial([9500, 9999]))
    assert.deepEqual(evaluateRange('bytes=0-0,-1', 10000), partial([0, 0], [9999, 9999]))
    assert.deepEqual(evaluateRange('bytes= 500-600 , 601-999', 10000), partial([500, 999]))
    assert.deepEqual(evaluateRange('bytes=500-700,601-999', 10000), partial([500, 999]))
  })

  it('clamps a last-pos past the end and a suffix longer than the representation', () => {
    assert.deepEqual(evaluateRange('bytes=9990-20000', 10000), partial([9990, 9999]))
    assert.deepEqual(evaluateRange('bytes=-20000', 10000), partial([0, 9999]))
  })

  it('treats positions beyond 2^53 as past the end: last-pos and suffix clamped, first-pos unsatisfiable', () => {
    const huge = '99999999999999999999'
    assert.deepEqual(evaluateRange(`bytes=0-${huge}`, 10000), partial([0, 9999]))
    assert.deepEqual(evaluateRange(`bytes=-${huge}`, 10000), partial([0, 9999]))
    assert.deepEqual(evaluateRange(`bytes=-${'9'.repeat(400)}`, 10000), partial([0, 9999]))
    assert.deepEqual(evaluateRange(`bytes=${huge}-`, 10000), { kind: 'unsatisfiable' })
    assert.deepEqual(evaluateRange(`bytes=9007199254740993-${huge}`, 10), { kind: 'unsatisfiable' })
    assert.deepEqual(evaluateRange(`bytes=${huge}-,5-6`, 10000), partial([5, 6]))
  })

  it('detects reversed positions beyond 2^53 exactly, though they round to one double', () => {
    assert.deepEqual(evaluateRange('bytes=99999999999999999999-99999999999999999998', 10), {
      kind: 'full',
    })
    assert.deepEqual(evaluateRange('bytes=0005-00004', 10), { kind: 'full' })
    assert.deepEqual(evaluateRange('bytes=0005-0000000007', 10), partial([5, 7]))
  })

  it('answers unsatisfiable when no range starts inside the representation', () => {
    assert.deepEqual(evaluateRange('bytes=10000-', 10000), { kind: 'unsatisfiable' })
    assert.deepEqual(evaluateRange('bytes=10000-10005,20000-', 10000), { kind: 'unsatisfiable' })
    assert.deepEqual(evaluateRange('bytes=-0', 10000), { kind: 'unsatisfiable' })
    assert.deepEqual(evaluateRange('bytes=0-', 0), { kind: 'unsatisfiable' })
  })

  it('drops unsatisfiable ranges among satisfiable ones', () => {
    assert.deepEqual(evaluateRange('bytes=20000-,0-1', 10000), partial([0, 1]))
  })

  it('ignores the header for other units, invalid sets and too many ranges', () => {
    for (const h of [
      undefined,
      'items=0-1',
      'bytes',
      'bytes=',
      'bytes=a-b',
      'bytes=5-3',
      'bytes=-',
      'bytes=1-2-3',
      'bytes=0x10-',
    ]) {
      assert.deepEqual(evaluateRange(h, 10000), { kind: 'full' }, String(h))
    }
    const many = `bytes=${Array.from({ length: 101 }, (_, i) => `${i * 10}-${i * 10}`).join(',')}`
    assert.deepEqual(evaluateRange(many, 10000), { kind: 'full' })
  })

  it('serves a zero-length representation whole for a suffix range', () => {
    assert.deepEqual(evaluateRange('bytes=-5', 0), { kind: 'full' })
  })

  it('accepts a case-insensitive unit and empty list elements', () => {
    assert.deepEqual(evaluateRange('Bytes=0-1,,4-5', 10), partial([0, 1], [4, 5]))
  })

  it('coalesces overlapping and adjacent ranges in ascending order', () => {
    assert.deepEqual(
      coalesce([
        { start: 10, end: 20 },
        { start: 0, end: 9 },
        { start: 30, end: 40 },
      ]),
      [
        { start: 0, end: 20 },
        { start: 30, end: 40 },
      ],
    )
  })

  it('frames a multipart/byteranges body with an exact length', () => {
    const ranges = [
      { start: 0, end: 0 },
      { start: 9, end: 9 },
    ]
    const f = multipartFraming(ranges, 10, 'BOUND')
    assert.equal(f.contentType, 'multipart/byteranges; boundary=BOUND')
    const body = `${f.partHeaders[0]}A${f.partHeaders[1]}J${f.trailer}`
    assert.equal(Buffer.byteLength(body), f.contentLength)
    assert.match(
      body,
      /^--BOUND\r\nContent-Type: application\/octet-stream\r\nContent-Range: bytes 0-0\/10\r\n\r\nA\r\n--BOUND\r\n/,
    )
    assert.ok(body.endsWith('\r\n--BOUND--\r\n'))
    assert.equal(contentRange({ start: 5, end: 9 }, 10), 'bytes 5-9/10')
  })
})
