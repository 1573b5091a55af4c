import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { BlockStore } from '../../src/core/block-store.js'
import { isBlockStoreError } from '../../src/core/errors.js'
import { BearerAuth, decideToken, isLoopbackHost } from '../../src/server/auth.js'
import { BlockStoreServer } from '../../src/server/block-store-server.js'

describe('auth', () => {
  it('recognises loopback hosts and nothing else', () => {
    for (const h of ['127.0.0.1', '127.8.9.10', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) {
      assert.ok(isLoopbackHost(h), h)
    }
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com', '128.0.0.1']) {
      assert.ok(!isLoopbackHost(h), h)
    }
  })

  it('generates a token for a non-loopback bind without one, and none on loopback', () => {
    const wide = decideToken('0.0.0.0', undefined)
    assert.equal(wide.generated, true)
    assert.ok((wide.token ?? '').length >= 40)
    assert.notEqual(decideToken('0.0.0.0', undefined).token, wide.token)
    assert.deepEqual(decideToken('127.0.0.1', undefined), { generated: false })
    assert.deepEqual(decideToken('0.0.0.0', 'mine'), { token: 'mine', generated: false })
  })

  it('refuses to listen beyond loopback without a token, before binding anything', async () => {
    await assert.rejects(
      BlockStoreServer.listen({ engine: {} as BlockStore, host: '0.0.0.0', port: 0 }),
      (e) => isBlockStoreError(e, 'BS_INVALID_CONFIG'),
    )
  })

  it('accepts exactly the bearer token', () => {
    const auth = new BearerAuth('s3cret-token')
    assert.ok(auth.check('Bearer s3cret-token'))
    assert.ok(auth.check('bearer s3cret-token'))
    for (const bad of [
      undefined,
      '',
      'Bearer',
      'Bearer s3cret-tokeN',
      'Basic s3cret-token',
      'Bearer s3cret-token x',
    ]) {
      assert.ok(!auth.check(bad), String(bad))
    }
  })
})
