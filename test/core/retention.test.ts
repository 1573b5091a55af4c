import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  isBlockStoreError,
  isValidRetentionPolicy,
  parseRetentionPolicy,
  RetentionPolicy,
  validateRetentionPolicy,
} from '../../src/core/index.js'

describe('parseRetentionPolicy', () => {
  const ok: [string, string][] = [
    ['pin', 'pin'],
    ['ttl', 'ttl'],
    ['lru', 'lru'],
    ['PIN', 'pin'],
    ['Pin', 'pin'],
    ['TTL', 'ttl'],
    ['  lru  ', 'lru'],
    ['', 'lru'],
    ['   ', 'lru'],
  ]
  for (const [input, want] of ok) {
    it(`parses ${JSON.stringify(input)} as ${want}`, () => {
      assert.equal(parseRetentionPolicy(input), want)
    })
  }
  for (const input of ['invalid', 'evict']) {
    it(`rejects ${JSON.stringify(input)} with BS_INVALID_CONFIG naming the input`, () => {
      assert.throws(
        () => parseRetentionPolicy(` ${input} `),
        (err: unknown) =>
          isBlockStoreError(err, 'BS_INVALID_CONFIG') &&
          err.message === `invalid retention policy "${input}": must be one of pin, ttl, lru`,
      )
    })
  }
})

describe('RetentionPolicy', () => {
  it('has the three string values', () => {
    assert.equal(RetentionPolicy.Pin, 'pin')
    assert.equal(RetentionPolicy.TTL, 'ttl')
    assert.equal(RetentionPolicy.LRU, 'lru')
    assert.equal(String(RetentionPolicy.LRU), 'lru')
  })

  it('accepts only the three exact strings as valid', () => {
    for (const p of ['pin', 'ttl', 'lru']) assert.ok(isValidRetentionPolicy(p))
    for (const p of ['invalid', '', 'PIN', undefined, 3]) assert.ok(!isValidRetentionPolicy(p))
  })
})

describe('validateRetentionPolicy', () => {
  const cases: [string, number, boolean][] = [
    ['pin', 0, true],
    ['pin', 3_600_000, true],
    ['lru', 0, true],
    ['lru', -1000, true],
    ['ttl', 3_600_000, true],
    ['ttl', 0, false],
    ['ttl', -1000, false],
    ['bogus', 3_600_000, false],
  ]
  for (const [policy, ttl, valid] of cases) {
    it(`${valid ? 'accepts' : 'rejects'} ${policy} with a TTL of ${ttl} ms`, () => {
      if (valid) validateRetentionPolicy(policy, ttl)
      else
        assert.throws(
          () => validateRetentionPolicy(policy, ttl),
          (e: unknown) => isBlockStoreError(e, 'BS_INVALID_CONFIG'),
        )
    })
  }
})
