import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseMetadataUrl, parseRemoteUrl, redactUrl } from '../../src/app/store-urls.js'
import { isBlockStoreError } from '../../src/core/errors.js'

describe('store URLs', () => {
  it('reads s3://bucket/prefix with the S3 settings', () => {
    assert.deepEqual(
      parseRemoteUrl('s3://my-bucket/some/prefix/', {
        endpoint: 'http://127.0.0.1:9000',
        region: 'r',
      }),
      {
        kind: 's3',
        bucket: 'my-bucket',
        prefix: 'some/prefix/',
        endpoint: 'http://127.0.0.1:9000',
        region: 'r',
      },
    )
    assert.deepEqual(parseRemoteUrl('s3://bkt'), { kind: 's3', bucket: 'bkt' })
  })

  it('reads file URLs and relative file: paths', () => {
    assert.deepEqual(parseRemoteUrl('file:///srv/remote'), { kind: 'fs', dir: '/srv/remote' })
    assert.deepEqual(parseRemoteUrl('file:rel/dir', {}, '/base'), {
      kind: 'fs',
      dir: '/base/rel/dir',
    })
  })

  it('rejects unknown schemes and bad buckets with BS_INVALID_CONFIG', () => {
    for (const bad of ['http://x', 's3://', 's3://UPPER', 'ftp://a']) {
      assert.throws(
        () => parseRemoteUrl(bad),
        (e) => isBlockStoreError(e, 'BS_INVALID_CONFIG'),
        bad,
      )
    }
    assert.throws(
      () => parseMetadataUrl('mysql://x'),
      (e) => isBlockStoreError(e, 'BS_INVALID_CONFIG'),
    )
    assert.throws(
      () => parseMetadataUrl('sqlite:'),
      (e) => isBlockStoreError(e, 'BS_INVALID_CONFIG'),
    )
  })

  it('reads sqlite paths relative to the working directory and postgres URLs', () => {
    assert.deepEqual(parseMetadataUrl('sqlite:data/m.db', '/w'), {
      kind: 'sqlite',
      path: '/w/data/m.db',
    })
    assert.deepEqual(parseMetadataUrl('sqlite:///abs/m.db', '/w'), {
      kind: 'sqlite',
      path: '/abs/m.db',
    })
    assert.deepEqual(parseMetadataUrl('postgres://u:p@127.0.0.1/db'), {
      kind: 'postgres',
      url: 'postgres://u:p@127.0.0.1/db',
    })
  })

  it('redacts URL passwords and nothing else', () => {
    assert.equal(
      redactUrl('postgres://user:hunter2@127.0.0.1:5432/db'),
      'postgres://user:***@127.0.0.1:5432/db',
    )
    assert.equal(redactUrl('postgres://user@127.0.0.1/db'), 'postgres://user@127.0.0.1/db')
    assert.equal(redactUrl('sqlite:/x/meta.db'), 'sqlite:/x/meta.db')
  })
})
