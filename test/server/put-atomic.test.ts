/**
 * PUT is all or nothing, over raw sockets against the spawned server: a body shorter than its
 * Content-Length, a client that disconnects mid-body, a body over the limit and a server
 * SIGKILLed mid-PUT all leave the previous content byte for byte, and a new ID absent (404, not
 * listed, not counted). Before, PUT truncated the payload to 0 first, so each of these lost it.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { rawExchange, rawHead } from '../support/raw-http.js'
import {
  patternBytes,
  type ServerProcess,
  startServer,
  stopServer,
} from '../support/server-process.js'

const MiB = 1024 * 1024
const OLD = patternBytes(5_000_000, 11)
const dirs: string[] = []
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

async function dataDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'ditto-put-atomic-'))
  dirs.push(d)
  return join(d, 'data')
}

function port(server: ServerProcess): number {
  return Number(new URL(server.url).port)
}

function sha(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

async function put(server: ServerProcess, id: string, body: Uint8Array): Promise<void> {
  const res = await fetch(`${server.url}/v1/payloads/${id}`, { method: 'PUT', body })
  assert.ok(res.status === 200 || res.status === 201, `PUT ${id}: ${res.status}`)
  await res.arrayBuffer()
}

/** The payload's bytes, or the status when it is not 200. */
async function get(server: ServerProcess, id: string): Promise<Uint8Array | number> {
  const res = await fetch(`${server.url}/v1/payloads/${id}`)
  if (res.status !== 200) {
    await res.arrayBuffer()
    return res.status
  }
  return new Uint8Array(await res.arrayBuffer())
}

/** Checks `doc` still holds OLD exactly and `fresh` does not exist anywhere. */
async function assertUntouched(server: ServerProcess): Promise<void> {
  const doc = await get(server, 'doc')
  assert.ok(typeof doc !== 'number', `GET doc: ${String(doc)}`)
  assert.equal(doc.length, OLD.length, 'old size')
  assert.equal(sha(doc), sha(OLD), 'old content byte for byte')
  assert.equal(await get(server, 'fresh'), 404)
  const head = await fetch(`${server.url}/v1/payloads/fresh`, { method: 'HEAD' })
  assert.equal(head.status, 404)
  const list = (await (await fetch(`${server.url}/v1/payloads`)).json()) as {
    items: { id: string }[]
  }
  assert.deepEqual(
    list.items.map((r) => r.id),
    ['doc'],
    'no staging leftover and no ghost is listed',
  )
  const stats = (await (await fetch(`${server.url}/v1/stats`)).json()) as {
    contentCount: number
    fileCount: number
  }
  assert.equal(stats.contentCount, 1)
}

/** A chunked transfer-coding of `pieces`, with its last chunk. */
function chunked(pieces: readonly Uint8Array[]): Uint8Array {
  const parts: Buffer[] = []
  for (const p of pieces) {
    parts.push(Buffer.from(`${p.length.toString(16)}\r\n`), Buffer.from(p), Buffer.from('\r\n'))
  }
  parts.push(Buffer.from('0\r\n\r\n'))
  return Buffer.concat(parts)
}

describe('PUT is all or nothing (spawned server, raw sockets)', () => {
  it('a body shorter than its Content-Length changes nothing', async () => {
    const server = await startServer(['--data-dir', await dataDir()])
    try {
      await put(server, 'doc', OLD)
      for (const id of ['doc', 'fresh']) {
        const head = rawHead('PUT', `/v1/payloads/${id}`, ['Content-Length: 10000000'])
        const answer = await rawExchange(port(server), head, new TextEncoder().encode('hello'))
        assert.ok(answer.status !== 200 && answer.status !== 201, `${id}: ${answer.text}`)
      }
      await sleep(200)
      await assertUntouched(server)
    } finally {
      await stopServer(server)
    }
  })

  it('a client that disconnects mid-body changes nothing', async () => {
    const server = await startServer(['--data-dir', await dataDir()])
    try {
      await put(server, 'doc', OLD)
      for (const id of ['doc', 'fresh']) {
        const head = rawHead('PUT', `/v1/payloads/${id}`, [`Content-Length: ${12 * MiB}`])
        // 9 MiB: one whole block and part of the next reach the server, then the socket goes.
        await rawExchange(port(server), head, patternBytes(9 * MiB, 12), {
          end: false,
          waitMs: 600,
        })
      }
      await sleep(300)
      await assertUntouched(server)
    } finally {
      await stopServer(server)
    }
  })

  it('a body over the limit, declared or streamed, changes nothing', async () => {
    const server = await startServer(['--data-dir', await dataDir(), '--max-body', '6MiB'])
    try {
      await put(server, 'doc', OLD)
      for (const id of ['doc', 'fresh']) {
        const declared = await rawExchange(
          port(server),
          rawHead('PUT', `/v1/payloads/${id}`, [`Content-Length: ${7 * MiB}`]),
          patternBytes(7 * MiB, 13),
        )
        // The server answers 413 and closes; a reset racing our unsent bytes may eat the answer.
        assert.ok(declared.status === 413 || declared.closedByServer, declared.text.slice(0, 200))
        const streamed = await rawExchange(
          port(server),
          rawHead('PUT', `/v1/payloads/${id}`, ['Transfer-Encoding: chunked']),
          chunked([patternBytes(4 * MiB, 14), patternBytes(3 * MiB, 15)]),
        )
        assert.ok(streamed.status === 413 || streamed.closedByServer, streamed.text.slice(0, 200))
      }
      await assertUntouched(server)
    } finally {
      await stopServer(server)
    }
  })

  it('a server SIGKILLed mid-PUT restarts with the old content and no new payload', async () => {
    const dir = await dataDir()
    let server = await startServer(['--data-dir', dir])
    try {
      await put(server, 'doc', OLD)
      const sends = ['doc', 'fresh'].map((id) =>
        rawExchange(
          port(server),
          rawHead('PUT', `/v1/payloads/${id}`, [`Content-Length: ${30 * MiB}`]),
          patternBytes(20 * MiB, 16),
          { end: false, waitMs: 5000 },
        ),
      )
      // Let both bodies land (whole blocks complete and reach the disk), then kill.
      await sleep(1500)
      await stopServer(server, 'SIGKILL')
      await Promise.all(sends)
      server = await startServer(['--data-dir', dir])
      await assertUntouched(server)
      // And the server works normally afterwards: a complete PUT replaces the content.
      const next = patternBytes(MiB + 5, 17)
      await put(server, 'doc', next)
      const back = await get(server, 'doc')
      assert.ok(typeof back !== 'number')
      assert.equal(sha(back), sha(next))
    } finally {
      await stopServer(server)
    }
  })
})
