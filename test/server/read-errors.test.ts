/**
 * Read failures reach the client (spawned server, file:// remote): an error before the first
 * body byte is a JSON error with its status, an error after it cuts the transfer short; every
 * failed request is logged on one line; a remote that fails reads is reported degraded.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readdir, rename, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { chunkIndexSize } from '../../src/core/chunk-layout.js'
import { rawExchange, rawHead } from '../support/raw-http.js'
import {
  patternBytes,
  type ServerProcess,
  startServer,
  stopServer,
} from '../support/server-process.js'
import { type RemoteServer, scratchDir, withRemoteServer } from './read-errors-kit.js'

const run = promisify(execFile)
const MiB = 1024 * 1024

/**
 * Every block object file under the remote's directory (not its format file, not the chunk
 * indexes beside the blocks), with its size.
 */
async function remoteObjects(remoteDir: string): Promise<{ path: string; size: number }[]> {
  const out: { path: string; size: number }[] = []
  for (const entry of await readdir(remoteDir, { recursive: true })) {
    const path = join(remoteDir, entry)
    const st = await stat(path)
    if (st.isFile() && !entry.startsWith('.') && !entry.endsWith('.chunks')) {
      out.push({ path, size: st.size })
    }
  }
  return out
}

/** A GET on a raw connection the server is asked to close once it has answered. */
function rawGet(port: number, path: string, waitMs = 5000) {
  return rawExchange(port, rawHead('GET', path, ['Connection: close']), undefined, {
    end: false,
    waitMs,
  })
}

/** Overwrites an object with other bytes of the same length. */
async function corrupt(path: string, size: number): Promise<void> {
  await writeFile(path, patternBytes(size, 999))
}

describe('read failures over HTTP (spawned server, file:// remote)', () => {
  const servers: ServerProcess[] = []
  after(async () => {
    for (const s of servers) await stopServer(s)
  })

  it('a broken remote (its directory replaced by a file) answers 503 BS_REMOTE_UNAVAILABLE as JSON, logs it, and /v1/health turns degraded', async () => {
    await withRemoteServer(servers, 100_000, async (s: RemoteServer) => {
      await rename(s.remoteDir, `${s.remoteDir}.moved`)
      await writeFile(s.remoteDir, 'not a directory any more')
      const res = await rawGet(s.port, '/v1/payloads/cold')
      assert.equal(res.status, 503, res.text.slice(0, 300))
      assert.equal(res.json?.code, 'BS_REMOTE_UNAVAILABLE')
      // curl reports the status instead of "Empty reply from server".
      const { stdout } = await run('curl', [
        '-s',
        '-w',
        '\n%{http_code}',
        `${s.url}/v1/payloads/cold`,
      ])
      assert.match(stdout, /"code":"BS_REMOTE_UNAVAILABLE"[\s\S]*\n503$/)
      assert.match(s.server.stderr(), /GET \/v1\/payloads\/cold 503 BS_REMOTE_UNAVAILABLE \d+ms/)
      // The failed reads count against the remote's health at once, not after 3 probe periods.
      let health: { status?: string; message?: string } = {}
      for (const until = Date.now() + 5000; Date.now() < until; ) {
        health = (await (await fetch(`${s.url}/v1/health`)).json()) as typeof health
        if (health.status === 'degraded') break
        await new Promise((r) => setTimeout(r, 50))
      }
      assert.equal(health.status, 'degraded', JSON.stringify(health))
      // Now refused before any remote I/O, still as JSON.
      const again = await rawGet(s.port, '/v1/payloads/cold')
      assert.equal(again.status, 503)
      assert.equal(again.json?.code, 'BS_REMOTE_UNAVAILABLE')
    })
  })

  it('a corrupt remote object answers 500 BS_INTEGRITY_CHECK_FAILED as JSON and does not mark the remote down', async () => {
    await withRemoteServer(servers, 100_000, async (s: RemoteServer) => {
      const objects = await remoteObjects(s.remoteDir)
      assert.equal(objects.length, 1)
      await corrupt(objects[0]!.path, objects[0]!.size)
      const res = await rawGet(s.port, '/v1/payloads/cold')
      assert.equal(res.status, 500, res.text.slice(0, 300))
      assert.equal(res.json?.code, 'BS_INTEGRITY_CHECK_FAILED')
      assert.match(s.server.stderr(), /GET \/v1\/payloads\/cold 500 BS_INTEGRITY_CHECK_FAILED/)
      // The remote answered: a bad object is data loss, not an outage.
      const health = (await (await fetch(`${s.url}/v1/health`)).json()) as { status: string }
      assert.equal(health.status, 'healthy')
    })
  })

  it('a failure after the first bytes cuts the transfer short (never a clean end) and is logged as aborted', async () => {
    const size = 8 * MiB + 300_000
    await withRemoteServer(servers, size, async (s: RemoteServer) => {
      const objects = await remoteObjects(s.remoteDir)
      // Block 1 is the short object (with its chunk index after it): corrupt it, block 0 stays
      // readable.
      const tailBytes = size - 8 * MiB
      const tail = objects.find((o) => o.size === tailBytes + chunkIndexSize(tailBytes))
      assert.ok(tail !== undefined, JSON.stringify(objects))
      await corrupt(tail.path, tail.size)
      const res = await rawGet(s.port, '/v1/payloads/cold', 10_000)
      assert.equal(res.status, 200)
      assert.ok(res.closedByServer)
      const head = res.text.indexOf('\r\n\r\n')
      assert.match(res.text.slice(0, head), new RegExp(`content-length: ${size}`, 'i'))
      const received = res.text.length - head - 4
      assert.ok(received < size, `received ${received} of ${size} bytes`)
      const sent = patternBytes(size, 5)
      assert.ok(
        Buffer.from(res.text.slice(head + 4), 'latin1').equals(sent.subarray(0, received)),
        'the bytes before the cut are the payload',
      )
      // curl sees the short transfer as an error (18: partial file).
      const curl = await run('curl', ['-s', '-o', '/dev/null', `${s.url}/v1/payloads/cold`]).then(
        () => 0,
        (e: { code?: number }) => e.code,
      )
      assert.equal(curl, 18)
      assert.match(
        s.server.stderr(),
        /GET \/v1\/payloads\/cold 200 aborted BS_INTEGRITY_CHECK_FAILED \d+ms/,
      )
    })
  })

  it('logs every failed request on one line (method, path without query, status, code, duration)', async () => {
    const server = await startServer(['--data-dir', join(await scratchDir(), 'data')])
    servers.push(server)
    const res = await fetch(`${server.url}/v1/payloads/missing?x=secret`)
    assert.equal(res.status, 404)
    await res.arrayBuffer()
    const bad = await fetch(`${server.url}/v1/payloads?limit=0`)
    assert.equal(bad.status, 400)
    await bad.arrayBuffer()
    for (const until = Date.now() + 2000; Date.now() < until; ) {
      if (/BS_INVALID_ARGUMENT/.test(server.stderr())) break
      await new Promise((r) => setTimeout(r, 20))
    }
    const lines = server.stderr().split('\n')
    assert.ok(
      lines.some((l) => /^GET \/v1\/payloads\/missing 404 BS_CONTENT_NOT_FOUND \d+ms/.test(l)),
      server.stderr(),
    )
    assert.ok(lines.some((l) => /^GET \/v1\/payloads 400 BS_INVALID_ARGUMENT \d+ms/.test(l)))
    assert.doesNotMatch(server.stderr(), /secret/)
  })
})
