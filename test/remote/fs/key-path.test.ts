import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  decodePiece,
  encodeSegment,
  keyToParts,
  MAX_PIECE,
} from '../../../src/remote/fs/key-path.js'

const NASTY = ['..', '.', '', '/abs/block-0', 'a//b', 'nul\0byte', 'CON', 'Aa', 'aA', 'x.', ' ']

describe('keyToParts', () => {
  it('never yields ".", "..", empty, separator or over-long path components', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'grapheme', maxLength: 600 }), fc.constantFrom(...NASTY)),
        (key) => {
          for (const part of keyToParts(key)) {
            assert.ok(part !== '.' && part !== '..' && part.length > 0)
            assert.ok(!part.includes('/') && !part.includes('\\') && !part.includes('\0'))
            assert.ok(Buffer.byteLength(part) <= 255, `${Buffer.byteLength(part)} bytes`)
            assert.match(part, /^[fdc][a-z0-9._%-]*$/)
          }
        },
      ),
    )
  })

  it('maps distinct keys to distinct paths, also on case-insensitive volumes', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        (a, b) => {
          fc.pre(a !== b)
          const pa = keyToParts(a).join('/').toLowerCase()
          const pb = keyToParts(b).join('/').toLowerCase()
          assert.notEqual(pa, pb)
        },
      ),
    )
  })

  it('splits a segment longer than one file name into continuation directories', () => {
    const parts = keyToParts(`${'x'.repeat(450)}/block-0`)
    assert.deepEqual(
      parts.map((p) => p[0]),
      ['c', 'c', 'd', 'f'],
    )
    assert.equal(parts[0]!.length, MAX_PIECE + 1)
  })
})

describe('encodeSegment', () => {
  it('decodes back to the original UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 500 }), (segment) => {
        const bytes = Buffer.concat(encodeSegment(segment).map((p) => decodePiece(p)!))
        assert.equal(bytes.toString('utf8'), segment)
      }),
    )
  })

  it('escapes upper case, spaces, percent, plus and a trailing dot', () => {
    assert.deepEqual(encodeSegment('My File+100%.'), ['%4dy%20%46ile%2b100%25%2e'])
    assert.deepEqual(encodeSegment('block-7'), ['block-7'])
  })
})
