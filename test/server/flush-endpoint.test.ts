/**
 * `POST /v1/flush` over real HTTP, in-process server over a real engine (fs local store and
 * SQLite in a temp dir); one payload's failure is injected by wrapping the local flush.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { MaxFlushIds } from '../../src/core/constants.js'
import { BlockStoreError, ERROR_CODES } from '../../src/core/errors.js'
import type { LocalStore } from '../../src/core/local-store.js'
import type { Engine } from '../../src/engine/engine.js'
import { openBlockStore } from '../../src/engine/open.js'
import { FsLocalStore } from '../../src/local/fs/fs-local-store.js'
import { SqliteMetadataStore } from '../../src/meta/sqlite/index.js'
import { BlockStoreServer } from '../../src/server/block-store-server.js'
import { MaxFlushBodyBytes } from '../../src/server/flush-handler.js'

let dir: string
let metadata: SqliteMetadataStore
let engine: Engine
let server: BlockStoreServer

/** The local store, with `flush` of payload `broken/...` failing BS_STORAGE_FULL. */
function breakFlushOfBroken(store: LocalStore): LocalStore {
  return new Proxy(store, {
    get(target, prop) {
      const v = Reflect.get(target, prop)
      if (prop !== 'flush') return typeof v === 'function' ? v.bind(target) : v
      return async (pid: string, o?: Parameters<LocalStore['flush']>[1]) => {
        if (pid.startsWith('broken/')) throw new BlockStoreError('BS_STORAGE_FULL', 'no room')
        return target.flush(pid, o)
      }
    },
  })
}

const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  })

const patch = async (id: string, text: string): Promise<void> => {
  const res = await fetch(`${server.url}/v1/payloads/${id}?offset=0`, {
    method: 'PATCH',
    body: text,
  })
  assert.equal(res.status, 200)
}

describe('POST /v1/flush', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flush-endpoint-'))
    metadata = await SqliteMetadataStore.open({ path: join(dir, 'meta.db') })
    engine = await openBlockStore({
      local: async (hooks) =>
        breakFlushOfBroken(
          await FsLocalStore.open({ metadata, ...hooks, dir: join(dir, 'blocks'), maxDisk: 0 }),
        ),
      metadata,
      readBufferBytes: 16 * 1024 * 1024,
    })
    server = await BlockStoreServer.listen({ engine, port: 0 })
  })
  after(async () => {
    await server.close()
    await engine.close()
    await metadata.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('flushes the named payloads, then every other one with all', async () => {
    for (const id of ['a', 'b', 'c/d']) await patch(id, `bytes of ${id}`)
    let res = await post('/v1/flush', { ids: ['b', 'a', 'b'] })
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), {
      results: [
        { id: 'b', finalized: false },
        { id: 'a', finalized: false },
      ],
      failures: [],
    })
    assert.ok((await metadata.getPayload('a')) !== undefined, 'a has its record: flushed')
    assert.equal(await metadata.getPayload('c/d'), undefined, 'c/d not flushed yet')
    res = await post('/v1/flush?all=1')
    assert.deepEqual(await res.json(), { results: [{ id: 'c/d', finalized: false }], failures: [] })
    assert.equal((await engine.stats()).blocksDirty, 0)
    res = await post('/v1/flush', { all: true })
    assert.deepEqual(await res.json(), { results: [], failures: [] }, 'nothing left')
  })

  it("answers a failed payload's status, with every payload's outcome in the body", async () => {
    await patch('ok', 'fine')
    await patch('broken/x', 'cannot flush')
    const res = await post('/v1/flush', { ids: ['ok', 'broken/x', 'missing'] })
    assert.equal(res.status, ERROR_CODES.BS_STORAGE_FULL.http)
    const body = (await res.json()) as Record<string, unknown>
    assert.equal(body.code, 'BS_STORAGE_FULL')
    assert.match(String(body.message), /2 of 3 payloads were not flushed/)
    assert.deepEqual(body.results, [{ id: 'ok', finalized: false }])
    assert.deepEqual(body.failures, [
      { id: 'broken/x', code: 'BS_STORAGE_FULL', message: 'no room' },
      { id: 'missing', code: 'BS_CONTENT_NOT_FOUND', message: 'payload missing does not exist' },
    ])
    await engine.delete('broken/x')
  })

  it('refuses malformed requests with a 4xx code and flushes nothing', async () => {
    await patch('pending', 'not yet flushed')
    const cases: Array<[string, unknown, number, string]> = [
      ['/v1/flush', undefined, 400, 'BS_INVALID_ARGUMENT'],
      ['/v1/flush', '{"ids": [', 400, 'BS_INVALID_ARGUMENT'],
      ['/v1/flush', '[]', 400, 'BS_INVALID_ARGUMENT'],
      ['/v1/flush', { ids: 'pending' }, 400, 'BS_INVALID_ARGUMENT'],
      ['/v1/flush', { ids: ['pending', 7] }, 400, 'BS_INVALID_ARGUMENT'],
      ['/v1/flush', { ids: ['pending'], all: true }, 400, 'BS_INVALID_ARGUMENT'],
      ['/v1/flush?all=1', { ids: ['pending'] }, 400, 'BS_INVALID_ARGUMENT'],
      ['/v1/flush', { all: 'yes' }, 400, 'BS_INVALID_ARGUMENT'],
      ['/v1/flush', { id: ['pending'] }, 400, 'BS_INVALID_ARGUMENT'],
      ['/v1/flush?all=maybe', undefined, 400, 'BS_INVALID_ARGUMENT'],
      ['/v1/flush', { ids: ['pending', 'a/../b'] }, 400, 'BS_INVALID_PAYLOAD_ID'],
      ['/v1/flush', { ids: ['pending', '.ditto/x'] }, 400, 'BS_INVALID_ARGUMENT'],
      ['/v1/flush', { ids: Array(MaxFlushIds + 1).fill('pending') }, 400, 'BS_INVALID_ARGUMENT'],
    ]
    for (const [path, body, status, code] of cases) {
      const res = await post(path, body)
      const label = `${path} ${JSON.stringify(body)?.slice(0, 60)}`
      assert.equal(res.status, status, label)
      assert.equal(((await res.json()) as { code: string }).code, code, label)
    }
    const big = JSON.stringify({ ids: ['pending'], pad: 'x'.repeat(MaxFlushBodyBytes) })
    const res = await post('/v1/flush', big)
    assert.equal(res.status, 413)
    assert.equal(((await res.json()) as { code: string }).code, 'BS_TOO_LARGE')
    const get = await fetch(`${server.url}/v1/flush`)
    assert.equal(get.status, 501)
    assert.equal(get.headers.get('allow'), 'POST')
    assert.equal(await metadata.getPayload('pending'), undefined, 'nothing was flushed')
    const all = await post('/v1/flush?all')
    assert.deepEqual(await all.json(), {
      results: [{ id: 'pending', finalized: false }],
      failures: [],
    })
  })
})
