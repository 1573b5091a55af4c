/**
 * The server in-process over a real engine (memory stores), with faults injected by a
 * wrapper to check that every error code of the core table reaches the client with its
 * status and a `{ code, message }` body.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { BlockStore } from '../../src/core/block-store.js'
import {
  ALL_ERROR_CODES,
  BlockStoreError,
  ERROR_CODES,
  type ErrorCode,
} from '../../src/core/errors.js'
import { openBlockStore } from '../../src/engine/open.js'
import { BlockStoreServer } from '../../src/server/block-store-server.js'

let engine: BlockStore
let server: BlockStoreServer
let gcCalls: { dryRun: boolean }[] = []

/** Real engine; `stat` of `fail/<CODE>` throws that code (fault injection only). */
function faulty(real: BlockStore): BlockStore {
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === 'stat') {
        return async (id: string, options?: unknown) => {
          const m = /^fail\/(BS_[A-Z_]+)$/.exec(id)
          if (m !== null) throw new BlockStoreError(m[1] as ErrorCode, `injected ${m[1]}`)
          if (id === 'fail/plain') throw new Error('secret internal detail /etc/passwd')
          return target.stat(id, options as never)
        }
      }
      const value = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

describe('BlockStoreServer in-process', () => {
  before(async () => {
    engine = await openBlockStore({
      local: { kind: 'memory' },
      metadata: { kind: 'memory' },
      remote: { kind: 'memory' },
    })
    server = await BlockStoreServer.listen({
      engine: faulty(engine),
      port: 0,
      gc: async (o) => {
        gcCalls.push({ dryRun: o.dryRun })
        return { deleted: 0, dryRun: o.dryRun }
      },
    })
  })
  after(async () => {
    await server.close()
    await engine.close()
  })

  it('answers every error code of the table with its status and a JSON body', async () => {
    for (const code of ALL_ERROR_CODES) {
      const res = await fetch(`${server.url}/v1/payloads/fail/${code}`)
      assert.equal(res.status, ERROR_CODES[code].http, code)
      assert.deepEqual(await res.json(), { code, message: `injected ${code}` })
    }
  })

  it('answers an unexpected error with 500 BS_INTERNAL and no detail', async () => {
    const res = await fetch(`${server.url}/v1/payloads/fail/plain`)
    assert.equal(res.status, 500)
    assert.deepEqual(await res.json(), { code: 'BS_INTERNAL', message: 'internal error' })
  })

  it('runs garbage collection through the injected runner', async () => {
    gcCalls = []
    const res = await fetch(`${server.url}/v1/gc?dryRun=1`, { method: 'POST' })
    assert.deepEqual(await res.json(), { deleted: 0, dryRun: true })
    assert.deepEqual(gcCalls, [{ dryRun: true }])
  })

  it('flushes at shutdown what PATCH wrote without a flush, then refuses new requests', async () => {
    const own = await openBlockStore({
      local: { kind: 'memory' },
      metadata: { kind: 'memory' },
      remote: { kind: 'memory' },
    })
    const s = await BlockStoreServer.listen({ engine: own, port: 0 })
    try {
      await fetch(`${s.url}/v1/payloads/w?offset=0`, { method: 'PATCH', body: 'unflushed' })
      await fetch(`${s.url}/v1/payloads/gone?offset=0`, { method: 'PATCH', body: 'x' })
      await fetch(`${s.url}/v1/payloads/gone`, { method: 'DELETE' })
      const report = await s.shutdown(1000)
      assert.deepEqual(report, { requestsAborted: 0, payloadsFlushed: 1, flushFailures: [] })
      assert.equal((await own.stats()).blocksDirty, 0)
      await assert.rejects(fetch(`${s.url}/v1/stats`))
    } finally {
      await own.close()
    }
  })

  it('aborts requests still running when the shutdown budget runs out', async () => {
    const own = await openBlockStore({ local: { kind: 'memory' }, metadata: { kind: 'memory' } })
    const s = await BlockStoreServer.listen({ engine: own, port: 0 })
    try {
      const stuck = fetch(`${s.url}/v1/payloads/s`, {
        method: 'PUT',
        body: new ReadableStream({
          start: (c) => c.enqueue(new Uint8Array(10)),
          pull: () => new Promise((r) => setTimeout(r, 30_000).unref()),
        }),
        duplex: 'half',
      } as RequestInit).catch(() => 'aborted')
      await new Promise((r) => setTimeout(r, 50))
      const report = await s.shutdown(100)
      assert.equal(report.requestsAborted, 1)
      assert.equal(await stuck, 'aborted')
    } finally {
      await own.close()
    }
  })
})
