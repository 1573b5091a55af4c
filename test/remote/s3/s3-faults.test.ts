/**
 * S3 failure modes: server errors, throttling, silence, refusal, a server that goes away, a
 * missing bucket, bad credentials. Each must give its documented code within its time bound.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { collect, rejectsCode } from '../../../src/conformance/remote-store-assert.js'
import { S3RemoteStore, type S3RemoteStoreOptions } from '../../../src/remote/s3/index.js'
import { type S3TestServer, startS3rver } from '../../support/s3-servers.js'
import { type StubS3, s3Error, startStubS3 } from '../../support/stub-s3.js'

const KEYS = { accessKeyId: 'STUB', secretAccessKey: 'STUB' }
let stub: StubS3
before(async () => {
  stub = await startStubS3()
})
after(() => stub.close())

function stubOptions(extra: Partial<S3RemoteStoreOptions> = {}): S3RemoteStoreOptions {
  return {
    bucket: 'bucket',
    endpoint: stub.endpoint,
    credentials: KEYS,
    maxAttempts: 3,
    requestTimeoutMs: 300,
    operationTimeoutMs: 5_000,
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 20,
    ...extra,
  }
}

async function timed<T>(p: Promise<T>): Promise<number> {
  const t0 = performance.now()
  await p.catch(() => undefined)
  return performance.now() - t0
}

describe('S3RemoteStore against a faulty server', () => {
  it('500 responses give BS_UNAVAILABLE after maxAttempts, with the retries counted', async () => {
    stub.handle((_req, res) => s3Error(res, 500, 'InternalError'))
    await using s = await S3RemoteStore.open(stubOptions())
    // Counted from here: on a loaded machine the probe at open may itself have been retried
    // (its 300 ms attempt timeout), which is not what this case is about.
    const retriesBefore = s.stats().retries
    await rejectsCode(s.writeBlock('f/block-0', new Uint8Array(10)), 'BS_UNAVAILABLE')
    assert.equal(s.stats().requests.put, 3)
    assert.equal(s.stats().failures.put, 3)
    assert.equal(s.stats().retries - retriesBefore, 2)
  })

  it('503 SlowDown and 429 are retried until the server recovers', async () => {
    let n = 0
    stub.handle((_req, res) => {
      n++
      if (n === 1) s3Error(res, 503, 'SlowDown')
      else if (n === 2) s3Error(res, 429, 'TooManyRequests')
      else res.end()
    })
    await using s = await S3RemoteStore.open(stubOptions())
    const retriesBefore = s.stats().retries
    await s.writeBlock('f/block-0', new Uint8Array(10))
    assert.equal(s.stats().retries - retriesBefore, 2)
    assert.equal(s.stats().requests.put, 3)
  })

  it('a server that accepts but never answers gives BS_UNAVAILABLE within the attempt timeouts', async () => {
    stub.handle(() => undefined)
    await using s = await S3RemoteStore.open(stubOptions({ maxAttempts: 2 }))
    const ms = await timed(rejectsCode(s.readBlock('f/block-0'), 'BS_UNAVAILABLE'))
    // Two attempts of 300 ms plus a backoff of at most 20 ms; generous bound for slow CI.
    assert.ok(ms >= 550 && ms < 3_000, `took ${ms} ms`)
    assert.equal(s.stats().retries, 1)
  })

  it('the operation timeout bounds a call even when one attempt could wait longer', async () => {
    stub.handle(() => undefined)
    await using s = await S3RemoteStore.open(
      stubOptions({ requestTimeoutMs: 60_000, operationTimeoutMs: 400 }),
    )
    let message = ''
    const ms = await timed(
      s.writeBlock('f/block-0', new Uint8Array(10)).catch((err: Error) => {
        message = err.message
        throw err
      }),
    )
    assert.ok(ms >= 350 && ms < 3_000, `took ${ms} ms`)
    assert.match(message, /operation timeout 400 ms/)
  })

  it('a caller abort during a hung request rejects with the caller reason at once', async () => {
    stub.handle(() => undefined)
    await using s = await S3RemoteStore.open(stubOptions({ requestTimeoutMs: 60_000 }))
    const reason = new Error('user cancelled')
    const ctl = new AbortController()
    const p = s.readBlock('f/block-0', { signal: ctl.signal })
    setTimeout(() => ctl.abort(reason), 50)
    const t0 = performance.now()
    await assert.rejects(p, (err) => err === reason)
    assert.ok(performance.now() - t0 < 2_000)
  })

  it('403 gives BS_ACCESS_DENIED without retries', async () => {
    stub.handle((_req, res) => s3Error(res, 403, 'AccessDenied'))
    await using s = await S3RemoteStore.open(stubOptions())
    await rejectsCode(s.readBlock('f/block-0'), 'BS_ACCESS_DENIED')
    assert.equal(s.stats().requests.get, 1)
    assert.equal(s.stats().retries, 0)
  })

  it('other 4xx answers are permanent and not retried', async () => {
    stub.handle((_req, res) => s3Error(res, 400, 'InvalidArgument'))
    await using s = await S3RemoteStore.open(stubOptions())
    await rejectsCode(s.writeBlock('f/block-0', new Uint8Array(1)), 'BS_INVALID_ARGUMENT')
    assert.equal(s.stats().retries, 0)
  })

  it('a 416 on a ranged read maps to BS_INVALID_OFFSET', async () => {
    stub.handle((_req, res) => s3Error(res, 416, 'InvalidRange'))
    await using s = await S3RemoteStore.open(stubOptions())
    await rejectsCode(s.readBlockRange('f/block-0', 100, 10), 'BS_INVALID_OFFSET')
  })

  it('deleteByPrefix throws when DeleteObjects reports a per-key error', async () => {
    stub.handle((req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' })
      if (req.method === 'GET') {
        res.end(
          '<?xml version="1.0"?><ListBucketResult><Name>bucket</Name><KeyCount>2</KeyCount><IsTruncated>false</IsTruncated>' +
            '<Contents><Key>p/block-0</Key><Size>1</Size></Contents><Contents><Key>p/block-1</Key><Size>1</Size></Contents></ListBucketResult>',
        )
      } else {
        res.end(
          '<?xml version="1.0"?><DeleteResult><Error><Key>p/block-1</Key><Code>AccessDenied</Code><Message>no</Message></Error></DeleteResult>',
        )
      }
    })
    await using s = await S3RemoteStore.open(stubOptions())
    await assert.rejects(s.deleteByPrefix('p/'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'BS_ACCESS_DENIED')
      assert.match(err.message, /1 of 2 keys not deleted; first "p\/block-1"/)
      return true
    })
  })
})

describe('S3RemoteStore against a real server', () => {
  let server: S3TestServer
  let bucket: string
  before(async () => {
    server = await startS3rver()
    bucket = await server.createBucket()
  })
  after(() => server.stop())
  const options = (extra: Partial<S3RemoteStoreOptions> = {}): S3RemoteStoreOptions => ({
    bucket,
    endpoint: server.endpoint,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    maxAttempts: 3,
    requestTimeoutMs: 1_000,
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 20,
    ...extra,
  })

  it('open rejects a missing bucket with BS_INVALID_CONFIG naming it', async () => {
    await assert.rejects(
      S3RemoteStore.open(options({ bucket: 'no-such-bucket-here' })),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'BS_INVALID_CONFIG')
        assert.match(err.message, /no-such-bucket-here/)
        return true
      },
    )
  })

  it('open rejects unknown credentials with BS_ACCESS_DENIED', async () => {
    // s3rver checks the access key id only (a wrong secret passes there).
    const bad = options({ credentials: { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'wrong' } })
    await rejectsCode(S3RemoteStore.open(bad), 'BS_ACCESS_DENIED')
  })

  it('open rejects when no credentials resolve, naming the variables to set', async () => {
    const saved = { ...process.env }
    Object.assign(process.env, {
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      AWS_CONFIG_FILE: '/nonexistent/config',
    })
    for (const k of [
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_PROFILE',
      'AWS_WEB_IDENTITY_TOKEN_FILE',
      'AWS_CONTAINER_CREDENTIALS_FULL_URI',
      'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    ]) {
      delete process.env[k]
    }
    try {
      const { credentials: _, ...noKeys } = options()
      await assert.rejects(S3RemoteStore.open(noKeys), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'BS_INVALID_CONFIG')
        assert.match(err.message, /AWS_ACCESS_KEY_ID/)
        return true
      })
    } finally {
      process.env = saved
    }
  })

  it('open rejects a non-http endpoint with BS_INVALID_CONFIG', async () => {
    await rejectsCode(
      S3RemoteStore.open(options({ endpoint: 's3://my-bucket' })),
      'BS_INVALID_CONFIG',
    )
  })

  it('the server stopped mid-run gives BS_UNAVAILABLE quickly, and health turns unhealthy', async () => {
    const own = await startS3rver()
    const b = await own.createBucket()
    await using s = await S3RemoteStore.open({
      ...options({ endpoint: own.endpoint, bucket: b }),
      operationTimeoutMs: 3_000,
    })
    await s.writeBlock('f/block-0', new Uint8Array([1, 2, 3]))
    assert.deepEqual(await collect(s.listByPrefix('')), ['f/block-0'])
    await own.stop()
    const ms = await timed(rejectsCode(s.readBlock('f/block-0'), 'BS_UNAVAILABLE'))
    assert.ok(ms < 3_500, `took ${ms} ms`)
    assert.ok(s.stats().retries >= 1)
    assert.equal((await s.healthcheck()).status, 'unhealthy')
  })
})
