/**
 * Authentication and request limits of the spawned server, and a 1 GiB streamed PUT whose
 * server memory stays bounded.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { patternBytes, startServer, stopServer } from '../support/server-process.js'

const MiB = 1024 * 1024
const dirs: string[] = []
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})
async function scratch(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'ditto-limits-'))
  dirs.push(d)
  return d
}

describe('authentication and limits (spawned server)', () => {
  it('requires the bearer token on every endpoint when one is set, and never prints it', async () => {
    const token = 'test-token-5f2a9c'
    const server = await startServer(['--data-dir', join(await scratch(), 'data')], {
      DITTO_TOKEN: token,
    })
    try {
      for (const path of ['/v1/stats', '/v1/health', '/metrics', '/v1/payloads/x']) {
        const res = await fetch(`${server.url}${path}`)
        assert.equal(res.status, 401, path)
        assert.equal(res.headers.get('www-authenticate'), 'Bearer')
        assert.equal(((await res.json()) as { code: string }).code, 'BS_UNAUTHORIZED')
      }
      const wrong = await fetch(`${server.url}/v1/stats`, {
        headers: { authorization: 'Bearer nope' },
      })
      assert.equal(wrong.status, 401)
      const ok = await fetch(`${server.url}/v1/stats`, {
        headers: { authorization: `Bearer ${token}` },
      })
      assert.equal(ok.status, 200)
      assert.ok(!server.stdout().includes(token) && !server.stderr().includes(token))
    } finally {
      await stopServer(server)
    }
  })

  it('answers without authentication on loopback when no token is set', async () => {
    const server = await startServer(['--data-dir', join(await scratch(), 'data')])
    try {
      assert.equal((await fetch(`${server.url}/v1/stats`)).status, 200)
    } finally {
      await stopServer(server)
    }
  })

  it('refuses bodies over --max-body with 413, declared or streamed', async () => {
    const server = await startServer([
      '--data-dir',
      join(await scratch(), 'data'),
      '--max-body',
      '1MiB',
    ])
    try {
      let res = await fetch(`${server.url}/v1/payloads/big`, {
        method: 'PUT',
        body: new Uint8Array(MiB + 1),
      })
      assert.equal(res.status, 413)
      assert.equal(((await res.json()) as { code: string }).code, 'BS_TOO_LARGE')
      const chunks = [new Uint8Array(MiB), new Uint8Array(10)]
      res = await fetch(`${server.url}/v1/payloads/big2`, {
        method: 'PUT',
        body: new ReadableStream({
          pull: (c) => (chunks.length > 0 ? c.enqueue(chunks.shift()!) : c.close()),
        }),
        duplex: 'half',
      } as RequestInit)
      assert.equal(res.status, 413)
      res = await fetch(`${server.url}/v1/payloads/fits`, {
        method: 'PUT',
        body: new Uint8Array(MiB),
      })
      assert.equal(res.status, 201)
    } finally {
      await stopServer(server)
    }
  })

  it('streams a 1 GiB PUT and GET with the server RSS bounded', async () => {
    const server = await startServer(['--data-dir', join(await scratch(), 'data')])
    try {
      const total = 1024 * MiB
      const chunk = patternBytes(MiB, 77)
      const sent = createHash('sha256')
      let produced = 0
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (produced >= total) return c.close()
          // Vary each MiB so blocks differ; the server must never hold the whole body.
          const piece = Buffer.from(chunk)
          piece.writeUInt32LE(produced / MiB, 0)
          sent.update(piece)
          produced += MiB
          c.enqueue(piece)
        },
      })
      const rssBefore = await server.peakRss()
      const res = await fetch(`${server.url}/v1/payloads/huge`, {
        method: 'PUT',
        body,
        duplex: 'half',
      } as RequestInit)
      assert.deepEqual(await res.json(), { id: 'huge', size: total, finalized: false })
      const back = await fetch(`${server.url}/v1/payloads/huge`)
      const got = createHash('sha256')
      let received = 0
      for await (const piece of back.body as unknown as AsyncIterable<Uint8Array>) {
        got.update(piece)
        received += piece.byteLength
      }
      assert.equal(received, total)
      assert.equal(got.digest('hex'), sent.digest('hex'))
      const peak = await server.peakRss()
      console.log(
        `# 1 GiB PUT+GET: server peak RSS ${(peak / MiB).toFixed(0)} MiB (at start ${(rssBefore / MiB).toFixed(0)} MiB)`,
      )
      assert.ok(peak < 400 * MiB, `peak RSS ${peak / MiB} MiB`)
    } finally {
      await stopServer(server)
    }
  })
})
