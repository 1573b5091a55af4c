/**
 * Remote faults through a fault-injecting proxy on 127.0.0.1 in front of a real S3 server
 * (s3rver): errors, latency, hangs, resets, truncated and corrupted bodies. Corrupt bytes are
 * never served, remote-only reads fail fast while the remote is down, writes keep working,
 * and once the faults stop everything drains and verifies.
 */
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { rejectsCode } from '../../src/conformance/remote-store-assert.js'
import { BlockSize } from '../../src/core/constants.js'
import { isBlockStoreError } from '../../src/core/errors.js'
import type { Engine } from '../../src/engine/index.js'
import { S3RemoteStore } from '../../src/remote/s3/index.js'
import { fastSyncer, openTestEngine, type TestEngine } from '../support/engine-fixture.js'
import { type S3TestServer, startS3rver } from '../support/s3-servers.js'
import { waitFor } from '../support/wait-for.js'
import { assertSameBytes } from './support/assert-bytes.js'
import { type FaultProxy, startFaultProxy } from './support/fault-proxy.js'
import { patternBytes } from './support/pattern.js'

let server: S3TestServer
let proxy: FaultProxy
let remote: S3RemoteStore
let engine: TestEngine
let store: Engine
const written = new Map<string, Uint8Array>()

before(async () => {
  server = await startS3rver()
  proxy = await startFaultProxy(server.endpoint)
  remote = await S3RemoteStore.open({
    bucket: await server.createBucket(),
    endpoint: proxy.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    maxAttempts: 2,
    requestTimeoutMs: 3000,
    operationTimeoutMs: 6000,
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 20,
  })
  engine = await openTestEngine({
    local: { kind: 'fs', open: 'config' },
    remote: { store: remote },
    metadata: { kind: 'sqlite' },
    faults: false,
    readBufferBytes: 0,
    prefetchWorkers: 0,
    // rangedReadThreshold left at its default: small random reads are verified ranged GETs
    // (data and chunk index record), larger ones verified whole blocks.
    syncer: fastSyncer,
  })
  store = engine.engine
  const cold = patternBytes(11, 0, 2 * BlockSize + 4096)
  await store.writeAt('cold', cold, 0)
  await store.flush('cold')
  assert.deepEqual((await store.drainAllUploads()).failed, [])
  await store.evict()
  written.set('cold', cold)
})

after(async () => {
  console.log(JSON.stringify({ remoteFaultsInjected: proxy?.injected }))
  await engine?.close()
  await remote?.close()
  await proxy?.close()
  await server?.stop()
})

async function readAll(p: string): Promise<Uint8Array> {
  const out = new Uint8Array(await store.getSize(p))
  assert.equal(await store.readAt(p, out, 0), out.length)
  return out
}

async function health(): Promise<string> {
  return (await store.healthcheck()).status
}

describe('remote faults through a proxy in front of s3rver', () => {
  // Each case starts from a healthy remote (a slow probe while s3rver is busy can flap it).
  beforeEach(async () => {
    proxy.set({ kind: 'none' })
    await waitFor('healthy before the fault', async () => (await health()) === 'healthy')
  })

  // A small read is a verified ranged GET (its range and its chunk index record are both
  // corrupted here); a large one fetches the whole block and checks its SHA-256.
  for (const size of [4096, 1024 * 1024]) {
    it(`corrupted bodies are rejected with BS_INTEGRITY_CHECK_FAILED and never served (${size}-byte read)`, async () => {
      const before = proxy.injected.corrupt ?? 0
      proxy.set({ kind: 'corrupt' }, 'GET', '/blocks/')
      const dest = new Uint8Array(size)
      await rejectsCode(store.readAt('cold', dest, BlockSize + 5000), 'BS_INTEGRITY_CHECK_FAILED')
      assert.ok(
        dest.every((b) => b === 0),
        'no byte of the corrupt body reached the caller',
      )
      assert.ok((proxy.injected.corrupt ?? 0) > before)
    })
  }

  it('a corrupted ranged body alone (its index record intact and cached) is never served', async () => {
    // Learn the group's leaf hashes first, so only the data range is fetched under the fault.
    const first = new Uint8Array(4096)
    await store.readAt('cold', first, 3 * 65536 + 100)
    assertSameBytes(first, written.get('cold')!.subarray(3 * 65536 + 100, 3 * 65536 + 4196), 'r')
    const before = proxy.injected.corrupt ?? 0
    proxy.set({ kind: 'corrupt' }, 'GET', '/blocks/')
    const dest = new Uint8Array(4096)
    await rejectsCode(store.readAt('cold', dest, 3 * 65536 + 30_000), 'BS_INTEGRITY_CHECK_FAILED')
    assert.ok(dest.every((b) => b === 0))
    assert.equal((proxy.injected.corrupt ?? 0) - before, 1, 'one GET: the data range alone')
  })

  for (const kind of ['truncate', 'reset'] as const) {
    it(`${kind === 'truncate' ? 'truncated bodies' : 'connections reset mid-body'} fail the read and serve nothing`, async () => {
      proxy.set({ kind }, 'GET', '/blocks/')
      const dest = new Uint8Array(4096)
      await assert.rejects(store.readAt('cold', dest, 0), (err: unknown) => {
        assert.ok(isBlockStoreError(err), String(err))
        assert.ok(
          ['BS_INTEGRITY_CHECK_FAILED', 'BS_UNAVAILABLE', 'BS_REMOTE_UNAVAILABLE'].includes(
            err.code,
          ),
          err.code,
        )
        return true
      })
      assert.ok(dest.every((b) => b === 0))
    })
  }

  it('added latency slows reads down but they stay correct', async () => {
    proxy.set({ kind: 'latency', ms: 150 })
    const t0 = performance.now()
    assertSameBytes(await readAll('cold'), written.get('cold') ?? new Uint8Array(), 'cold')
    assert.ok(performance.now() - t0 >= 150)
    await store.evict()
  })

  const outages = [
    { kind: 'status', status: 500, code: 'InternalError' },
    { kind: 'status', status: 503, code: 'SlowDown' },
    { kind: 'status', status: 403, code: 'AccessDenied' },
    { kind: 'hang' },
  ] as const
  for (const fault of outages) {
    const name = fault.kind === 'hang' ? 'a hanging server' : `${fault.status} ${fault.code}`
    it(`${name}: health degrades, remote-only reads fail fast, writes keep working`, async () => {
      proxy.set(fault)
      await waitFor('degraded health', async () => (await health()) === 'degraded')
      const t0 = performance.now()
      await rejectsCode(store.readAt('cold', new Uint8Array(100), 0), 'BS_REMOTE_UNAVAILABLE')
      assert.ok(performance.now() - t0 < 100, 'refused before any network I/O')
      const id = `w-${name.replace(/\W+/g, '-')}`
      const data = patternBytes(20 + written.size, 0, BlockSize + 512)
      await store.writeAt(id, data, 0)
      await store.flush(id)
      written.set(id, data)
      assertSameBytes(await readAll(id), data, id)
      proxy.set({ kind: 'none' })
      await waitFor('healthy again', async () => (await health()) === 'healthy')
    })
  }

  it('after the faults stop everything drains and every byte verifies from the remote', async () => {
    proxy.set({ kind: 'none' })
    await waitFor('healthy', async () => (await health()) === 'healthy')
    assert.deepEqual((await store.drainAllUploads()).failed, [])
    await store.evict()
    const stats = await store.stats()
    assert.equal(stats.blocksLocal, 0)
    assert.equal(stats.blocksDirty, 0)
    for (const [id, data] of written) assertSameBytes(await readAll(id), data, id)
  })
})
