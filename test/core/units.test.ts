import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isBlockStoreError } from '../../src/core/errors.js'
import { formatDuration, parseDuration, parseSize } from '../../src/core/units.js'

describe('units', () => {
  it('parses binary and decimal sizes and bare bytes', () => {
    assert.equal(parseSize('512MiB'), 512 * 2 ** 20)
    assert.equal(parseSize('8g'), 8 * 2 ** 30)
    assert.equal(parseSize('10GB'), 10e9)
    assert.equal(parseSize(' 1.5 KiB '), 1536)
    assert.equal(parseSize('4096'), 4096)
  })

  it('rejects sizes it does not fully understand with BS_INVALID_CONFIG naming the setting', () => {
    for (const bad of ['', 'MiB', '-1', '5 parsecs', '1e3', '99999999999TiB']) {
      assert.throws(
        () => parseSize(bad, 'readBuffer'),
        (e) => isBlockStoreError(e, 'BS_INVALID_CONFIG') && e.message.includes('readBuffer'),
      )
    }
  })

  it('parses durations with units and bare milliseconds', () => {
    assert.equal(parseDuration('30s'), 30_000)
    assert.equal(parseDuration('500ms'), 500)
    assert.equal(parseDuration('2h'), 7_200_000)
    assert.equal(parseDuration('250'), 250)
    assert.throws(
      () => parseDuration('soon'),
      (e) => isBlockStoreError(e, 'BS_INVALID_CONFIG'),
    )
  })

  it('formats durations in the largest exact unit', () => {
    assert.equal(formatDuration(250), '250ms')
    assert.equal(formatDuration(30_000), '30s')
    assert.equal(formatDuration(120_000), '2m')
    assert.equal(formatDuration(5_400_000), '1.5h')
  })
})
