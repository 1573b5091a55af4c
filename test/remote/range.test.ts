import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isBlockStoreError } from '../../src/core/errors.js'
import { checkRangeArgs, compareKeys } from '../../src/remote/range.js'

describe('compareKeys', () => {
  it('orders keys by their UTF-8 bytes, also past U+FFFF', () => {
    const keys = ['b', 'a/x', 'a', 'a-b', '\u{ffff}', '\u{10000}', 'é', 'Z', '']
    const expected = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
    assert.deepEqual([...keys].sort(compareKeys), expected)
    assert.ok(compareKeys('\u{ffff}', '\u{10000}') < 0)
  })
})

describe('checkRangeArgs', () => {
  it('accepts the largest range that stays a safe integer', () => {
    checkRangeArgs('k', Number.MAX_SAFE_INTEGER - 1, 1)
  })

  it('names the bad offset or length in its error code', () => {
    const code = (offset: number, length: number): string | undefined => {
      try {
        checkRangeArgs('k', offset, length)
        return undefined
      } catch (err) {
        return isBlockStoreError(err) ? err.code : 'other'
      }
    }
    assert.equal(code(-1, 1), 'BS_INVALID_OFFSET')
    assert.equal(code(0, 0), 'BS_INVALID_SIZE')
    assert.equal(code(Number.MAX_SAFE_INTEGER, 1), 'BS_INVALID_SIZE')
  })
})
