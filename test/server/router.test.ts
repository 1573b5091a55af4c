import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isBlockStoreError } from '../../src/core/errors.js'
import { matchRoute, parseQuery } from '../../src/server/router.js'

describe('router', () => {
  it('takes the whole decoded rest of the path as the ID for non-POST methods', () => {
    assert.deepEqual(matchRoute('GET', '/v1/payloads/a/b/truncate').route, {
      kind: 'payload',
      method: 'GET',
      id: 'a/b/truncate',
    })
    assert.deepEqual(matchRoute('PUT', '/v1/payloads/d%C3%A9j%C3%A0%20vu%2Fx').route, {
      kind: 'payload',
      method: 'PUT',
      id: 'déjà vu/x',
    })
    assert.deepEqual(matchRoute('HEAD', '/v1/payloads/%F0%9F%93%A6').route, {
      kind: 'payload',
      method: 'HEAD',
      id: '📦',
    })
  })

  it('takes the last segment as the action for POST, so IDs may end in an action name', () => {
    assert.deepEqual(matchRoute('POST', '/v1/payloads/a/truncate/truncate?size=3').route, {
      kind: 'action',
      action: 'truncate',
      id: 'a/truncate',
    })
    assert.deepEqual(matchRoute('POST', '/v1/payloads/x/flush').route, {
      kind: 'action',
      action: 'flush',
      id: 'x',
    })
    const m = matchRoute('POST', '/v1/payloads/x/copy?to=y%2Fz')
    assert.equal(m.query.get('to'), 'y/z')
  })

  it('routes the fixed endpoints and accepts HEAD where GET is', () => {
    assert.equal(matchRoute('GET', '/v1/payloads?prefix=a').route.kind, 'list')
    assert.equal(matchRoute('GET', '/v1/payloads/').route.kind, 'list')
    assert.equal(matchRoute('HEAD', '/v1/stats').route.kind, 'stats')
    assert.equal(matchRoute('POST', '/v1/gc?dryRun=1').route.kind, 'gc')
    assert.equal(matchRoute('GET', '/metrics').route.kind, 'metrics')
  })

  it('rejects invalid IDs with BS_INVALID_PAYLOAD_ID', () => {
    for (const url of [
      '/v1/payloads/a//b',
      '/v1/payloads/%2Fa',
      '/v1/payloads/a/../b',
      '/v1/payloads/%E0%A4%A',
      '/v1/payloads/a%00b',
      `/v1/payloads/${'x'.repeat(1025)}`,
    ]) {
      assert.throws(
        () => matchRoute('GET', url),
        (e) => isBlockStoreError(e, 'BS_INVALID_PAYLOAD_ID'),
        url,
      )
    }
  })

  it('answers unknown endpoints 404 and wrong methods 501 with an Allow list', () => {
    assert.throws(
      () => matchRoute('GET', '/v2/x'),
      (e) => isBlockStoreError(e, 'BS_CONTENT_NOT_FOUND'),
    )
    assert.throws(
      () => matchRoute('POST', '/v1/payloads/x/explode'),
      (e) => isBlockStoreError(e, 'BS_CONTENT_NOT_FOUND'),
    )
    assert.throws(
      () => matchRoute('POST', '/v1/payloads/x'),
      (e) => isBlockStoreError(e, 'BS_CONTENT_NOT_FOUND'),
    )
    assert.throws(
      () => matchRoute('DELETE', '/v1/stats'),
      (e) =>
        isBlockStoreError(e, 'BS_NOT_SUPPORTED') &&
        (e as unknown as { allow: string }).allow === 'GET, HEAD',
    )
    assert.throws(
      () => matchRoute('OPTIONS', '/v1/payloads/x'),
      (e) => isBlockStoreError(e, 'BS_NOT_SUPPORTED'),
    )
  })

  it('decodes query values as form-encoded UTF-8 and refuses malformed percent-encoding', () => {
    const q = parseQuery('to=a+b%2Bc%2Fd&flag&empty=&to=%C3%A9&&x=1=2')
    assert.deepEqual(
      [...q],
      [
        ['to', 'a b+c/d'],
        ['flag', ''],
        ['empty', ''],
        ['to', 'é'],
        ['x', '1=2'],
      ],
    )
    // URLSearchParams maps each of these to U+FFFD: two different targets became one payload.
    for (const raw of [
      'to=%FF',
      'to=%FE',
      'to=%C3%28',
      'to=%ED%A0%80',
      'to=%',
      'to=%2',
      'p%FF=1',
    ]) {
      assert.throws(
        () => matchRoute('POST', `/v1/payloads/a/copy?${raw}`),
        (err) => isBlockStoreError(err, 'BS_INVALID_ARGUMENT'),
        raw,
      )
    }
  })
})
