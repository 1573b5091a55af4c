/**
 * Two spawned servers sharing one PostgreSQL database and one file:// remote: node B asked
 * for a payload node A flushed but has not uploaded yet answers 503 BS_BLOCK_NOT_LOCAL (a
 * JSON error, never an empty reply, never zeros), and the bytes once A has uploaded them.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { PG_URL, pgSkipReason } from '../meta/postgres/pg-test-env.js'
import { rawExchange, rawHead } from '../support/raw-http.js'
import {
  patternBytes,
  type ServerProcess,
  startServer,
  stopServer,
} from '../support/server-process.js'
import { scratchDir } from './read-errors-kit.js'

const skip = await pgSkipReason()
const database = `ditto_two_nodes_${randomBytes(5).toString('hex')}`

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

describe('two servers sharing PostgreSQL and a remote', { skip }, () => {
  const servers: ServerProcess[] = []
  before(() => admin(`CREATE DATABASE "${database}"`))
  after(async () => {
    for (const s of servers) await stopServer(s)
    await admin(`DROP DATABASE IF EXISTS "${database}"`)
  })

  it('node B answers 503 BS_BLOCK_NOT_LOCAL for blocks node A has not uploaded, then the bytes', async () => {
    const dir = await scratchDir()
    const url = new URL(PG_URL)
    url.pathname = `/${database}`
    const shared = ['--metadata', url.toString(), '--remote', `file://${join(dir, 'remote')}`]
    // A uploads only when asked (a drain), so the window stays open for the test.
    const a = await startServer([
      ...shared,
      '--data-dir',
      join(dir, 'a'),
      '--upload-delay',
      '1h',
      '--upload-interval',
      '1h',
    ])
    servers.push(a)
    const b = await startServer([...shared, '--data-dir', join(dir, 'b')])
    servers.push(b)
    const data = patternBytes(8 * 1024 * 1024 + 5000, 11)
    const put = await fetch(`${a.url}/v1/payloads/shared/x`, { method: 'PUT', body: data })
    assert.equal(put.status, 201)
    await put.arrayBuffer()

    const port = Number(new URL(b.url).port)
    const res = await rawExchange(
      port,
      rawHead('GET', '/v1/payloads/shared/x', ['Connection: close']),
      undefined,
      { end: false, waitMs: 5000 },
    )
    assert.equal(res.status, 503, res.text.slice(0, 400))
    assert.equal(res.json?.code, 'BS_BLOCK_NOT_LOCAL')
    assert.match(res.text, /another node/)
    assert.match(b.stderr(), /GET \/v1\/payloads\/shared\/x 503 BS_BLOCK_NOT_LOCAL/)

    const drained = (await (await fetch(`${a.url}/v1/drain`, { method: 'POST' })).json()) as {
      uploaded: number
      failed: unknown[]
    }
    assert.deepEqual(drained.failed, [])
    assert.equal(drained.uploaded, 2)
    const back = await fetch(`${b.url}/v1/payloads/shared/x`)
    assert.equal(back.status, 200)
    assert.ok(Buffer.from(await back.arrayBuffer()).equals(data), 'B serves the bytes A wrote')

    // A block A is rewriting (its row Dirty, the old remote key cleared) is not zeros on B.
    const y = patternBytes(100_000, 12)
    assert.equal(
      (await fetch(`${a.url}/v1/payloads/shared/y`, { method: 'PUT', body: y })).status,
      201,
    )
    assert.equal((await fetch(`${a.url}/v1/drain`, { method: 'POST' })).status, 200)
    const patch = patternBytes(1000, 13)
    const patched = await fetch(`${a.url}/v1/payloads/shared/y?offset=0`, {
      method: 'PATCH',
      body: patch,
    })
    assert.equal(patched.status, 200)
    const during = await rawExchange(
      port,
      rawHead('GET', '/v1/payloads/shared/y', ['Connection: close']),
      undefined,
      { end: false, waitMs: 5000 },
    )
    assert.equal(during.status, 503, during.text.slice(0, 400))
    assert.equal(during.json?.code, 'BS_BLOCK_NOT_LOCAL')
    assert.equal(
      (await fetch(`${a.url}/v1/payloads/shared/y/flush`, { method: 'POST' })).status,
      200,
    )
    assert.equal((await fetch(`${a.url}/v1/drain`, { method: 'POST' })).status, 200)
    const after = Buffer.from(await (await fetch(`${b.url}/v1/payloads/shared/y`)).arrayBuffer())
    assert.ok(after.subarray(0, 1000).equals(patch), 'the new bytes once uploaded')
    assert.ok(after.subarray(1000).equals(y.subarray(1000)), 'the rest unchanged')
  })
})
