import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { classifyS3Error } from '../../../src/remote/s3/s3-errors.js'

const ctx = { op: 'readBlock', bucket: 'b', key: 'k' }
const sdk = (name: string, status?: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } })

describe('classifyS3Error', () => {
  it('retries 5xx, 429, SlowDown, timeouts and connection failures only', () => {
    const cases: [unknown, string, boolean][] = [
      [sdk('InternalError', 500), 'BS_UNAVAILABLE', true],
      [sdk('SlowDown', 503), 'BS_UNAVAILABLE', true],
      [sdk('Unknown', 429), 'BS_UNAVAILABLE', true],
      [Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), 'BS_UNAVAILABLE', true],
      [sdk('NoSuchKey', 404), 'BS_BLOCK_NOT_FOUND', false],
      [sdk('AccessDenied', 403), 'BS_ACCESS_DENIED', false],
      [sdk('InvalidRange', 416), 'BS_INVALID_OFFSET', false],
      [sdk('NoSuchBucket', 404), 'BS_INVALID_CONFIG', false],
      [sdk('InvalidArgument', 400), 'BS_INVALID_ARGUMENT', false],
      [Object.assign(new Error('dns'), { code: 'ENOTFOUND' }), 'BS_INVALID_CONFIG', false],
    ]
    for (const [err, code, retryable] of cases) {
      const c = classifyS3Error(err, ctx, false)
      assert.equal(c.error.code, code, String(err))
      assert.equal(c.retryable, retryable, String(err))
      assert.equal(c.error.cause, err)
    }
  })

  it('treats any error of a timed-out attempt as a transient timeout', () => {
    const c = classifyS3Error(sdk('AbortError'), ctx, true)
    assert.equal(c.error.code, 'BS_UNAVAILABLE')
    assert.ok(c.retryable)
    assert.match(c.error.message, /timed out/)
  })
})
