import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import { decodeRecords, encodeRecord, recordLength } from '../../../src/local/fs/journal-format.js'

/**
 * A record of the first format ("DJR1", no payload fields), built byte by byte as versions
 * before the payload fields wrote it: a journal left by such a version must still replay.
 */
function recordV1(generation: number, payloadId: string, blockIdx: number, data: Buffer): Buffer {
  const id = Buffer.from(payloadId, 'utf8')
  const fixed = 8 + 32 + 4 + 4 + 4 + 2
  const out = Buffer.alloc(fixed + id.length + data.length)
  out.writeUInt32LE(0x31524a44, 0)
  out.writeUInt32LE(out.length, 4)
  out.writeUInt32LE(generation, 40)
  out.writeUInt32LE(blockIdx, 44)
  out.writeUInt32LE(data.length, 48)
  out.writeUInt16LE(id.length, 52)
  id.copy(out, fixed)
  data.copy(out, fixed + id.length)
  createHash('sha256').update(out.subarray(40)).digest().copy(out, 8)
  return out
}

describe('flush journal record format', () => {
  it('marks reset records ("DJR3") and reads them back beside ordinary ones', () => {
    const rec = {
      payloadId: 'r',
      blockIdx: 0,
      data: Buffer.from('new content'),
      payloadSize: 11,
      modifiedAt: 1_700_000_000_000,
    }
    const reset = encodeRecord(2, { ...rec, reset: true })
    assert.equal(reset.toString('latin1', 0, 4), 'DJR3')
    assert.equal(encodeRecord(2, rec).toString('latin1', 0, 4), 'DJR2')
    const out = decodeRecords(2, Buffer.concat([encodeRecord(2, rec), reset, encodeRecord(2, rec)]))
    assert.deepEqual(
      out.map((r) => r.reset === true),
      [false, true, false],
    )
    assert.equal(out[1]?.payloadSize, 11)
    assert.equal(Buffer.from(out[1]?.data ?? []).toString(), 'new content')
    assert.equal(recordLength(reset), reset.length)
  })

  it('round-trips a record with its payload size and modification time', () => {
    const data = Buffer.from('hello journal')
    const rec = {
      payloadId: 'a/b',
      blockIdx: 3,
      data,
      payloadSize: 3 * 8 * 2 ** 20 + 13,
      modifiedAt: 1_700_000_000_123,
    }
    const file = Buffer.concat([encodeRecord(5, rec), encodeRecord(5, { ...rec, blockIdx: 4 })])
    const out = decodeRecords(5, file)
    assert.equal(out.length, 2)
    assert.equal(out[0]?.payloadId, 'a/b')
    assert.equal(out[0]?.blockIdx, 3)
    assert.deepEqual(Buffer.from(out[0]!.data), data)
    assert.equal(out[0]?.payloadSize, rec.payloadSize)
    assert.equal(out[0]?.modifiedAt, rec.modifiedAt)
    assert.equal(recordLength(file), encodeRecord(5, rec).length)
  })

  it('still reads first-format records, and both formats in one file', () => {
    const old = recordV1(2, 'p', 0, Buffer.from('old bytes'))
    const current = encodeRecord(2, {
      payloadId: 'q',
      blockIdx: 1,
      data: Buffer.from('new'),
      payloadSize: 8 * 2 ** 20 + 3,
      modifiedAt: 5,
    })
    const out = decodeRecords(2, Buffer.concat([old, current]))
    assert.equal(out.length, 2)
    assert.equal(out[0]?.payloadId, 'p')
    assert.deepEqual(Buffer.from(out[0]!.data), Buffer.from('old bytes'))
    assert.equal(out[0]?.payloadSize, undefined, 'a first-format record has no payload fields')
    assert.equal(out[1]?.payloadSize, 8 * 2 ** 20 + 3)
    assert.equal(recordLength(old), old.length)
  })

  it('stops at a damaged record, of either format, and at another generation', () => {
    const a = recordV1(1, 'p', 0, Buffer.from('aaaa'))
    const b = encodeRecord(1, {
      payloadId: 'p',
      blockIdx: 1,
      data: Buffer.from('bb'),
      payloadSize: 1,
      modifiedAt: 1,
    })
    const damaged = Buffer.from(b)
    damaged.writeUInt8(damaged.readUInt8(damaged.length - 1) ^ 1, damaged.length - 1)
    assert.equal(decodeRecords(1, Buffer.concat([a, damaged, a])).length, 1)
    assert.equal(decodeRecords(1, Buffer.concat([a, b.subarray(0, b.length - 1)])).length, 1)
    assert.equal(decodeRecords(2, Buffer.concat([a, b])).length, 0)
  })
})
