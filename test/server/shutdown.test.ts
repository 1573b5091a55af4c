/**
 * Durability across process ends: SIGTERM while uploads stream in, SIGKILL after a flush
 * returned, and the second signal that exits at once. Every check restarts the real server
 * on the same data directory and reads the bytes back.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { patternBytes, startServer, stopServer } from '../support/server-process.js'

const MiB = 1024 * 1024
const dirs: string[] = []
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

async function scratch(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'ditto-shutdown-'))
  dirs.push(d)
  return d
}

/** A request body that yields `data` in 256 KiB pieces, pausing `gapMs` between them. */
function slowBody(data: Buffer, gapMs: number): ReadableStream<Uint8Array> {
  let offset = 0
  return new ReadableStream({
    async pull(controller) {
      if (offset >= data.length) return controller.close()
      await sleep(gapMs)
      controller.enqueue(data.subarray(offset, offset + 256 * 1024))
      offset += 256 * 1024
    },
  })
}

async function readBack(url: string, id: string): Promise<Buffer> {
  const res = await fetch(`${url}/v1/payloads/${id}`)
  assert.equal(res.status, 200, `${id}: ${res.status}`)
  return Buffer.from(await res.arrayBuffer())
}

describe('shutdown and crash safety (spawned server)', () => {
  it('SIGTERM during streamed uploads finishes them, drains to the remote, and loses nothing', async () => {
    const d = await scratch()
    const args = ['--data-dir', join(d, 'data'), '--remote', `file://${join(d, 'remote')}`]
    const server = await startServer(args)
    const bodies = [1, 2, 3].map((seed) => patternBytes(3 * MiB + seed, seed))
    const uploads = bodies.map((body, i) =>
      fetch(`${server.url}/v1/payloads/up/${i}`, {
        method: 'PUT',
        body: slowBody(body, 20),
        duplex: 'half',
      } as RequestInit),
    )
    await sleep(100)
    server.child.kill('SIGTERM')
    for (const res of await Promise.all(uploads)) assert.equal(res.status, 201)
    assert.equal(await server.exited, 0)
    assert.match(server.stderr(), /drained uploads: \d+ uploaded, 0 failed/)
    assert.ok((await readdir(join(d, 'remote'), { recursive: true })).length > 0)
    const again = await startServer(args)
    try {
      for (const [i, body] of bodies.entries())
        assert.ok((await readBack(again.url, `up/${i}`)).equals(body))
    } finally {
      await stopServer(again)
    }
  })

  it('SIGKILL after a flush returned loses nothing after a restart', async () => {
    const d = await scratch()
    const args = ['--data-dir', join(d, 'data')]
    const server = await startServer(args)
    const whole = patternBytes(10 * MiB, 9)
    assert.equal(
      (await fetch(`${server.url}/v1/payloads/k`, { method: 'PUT', body: whole })).status,
      201,
    )
    const patch = patternBytes(1000, 10)
    await fetch(`${server.url}/v1/payloads/k?offset=${5 * MiB}`, { method: 'PATCH', body: patch })
    assert.equal((await fetch(`${server.url}/v1/payloads/k/flush`, { method: 'POST' })).status, 200)
    await stopServer(server, 'SIGKILL')
    const expected = Buffer.from(whole)
    patch.copy(expected, 5 * MiB)
    // The dead server's lock is stale: the restart takes it over.
    const again = await startServer(args)
    try {
      assert.ok((await readBack(again.url, 'k')).equals(expected))
    } finally {
      await stopServer(again)
    }
  })

  it('a second signal exits at once, and the data directory still opens with flushed data intact', async () => {
    const d = await scratch()
    const args = ['--data-dir', join(d, 'data'), '--shutdown-timeout', '60s']
    const server = await startServer(args)
    const kept = patternBytes(MiB, 4)
    await fetch(`${server.url}/v1/payloads/kept`, { method: 'PUT', body: kept })
    // An upload that never ends keeps the graceful shutdown waiting.
    const stuck = fetch(`${server.url}/v1/payloads/stuck`, {
      method: 'PUT',
      body: new ReadableStream({ pull: () => sleep(60_000, undefined, { ref: false }) }),
      duplex: 'half',
    } as RequestInit).catch(() => 'aborted')
    await sleep(100)
    server.child.kill('SIGTERM')
    await sleep(200)
    assert.equal(server.child.exitCode, null, 'still waiting for the in-flight request')
    const t0 = performance.now()
    server.child.kill('SIGTERM')
    assert.equal(await server.exited, 143)
    assert.ok(performance.now() - t0 < 2000)
    assert.equal(await stuck, 'aborted')
    const again = await startServer(args)
    try {
      assert.ok((await readBack(again.url, 'kept')).equals(kept))
    } finally {
      await stopServer(again)
    }
  })

  it('refuses a second engine on a data directory a live server holds', async () => {
    const d = await scratch()
    const args = ['--data-dir', join(d, 'data')]
    const server = await startServer(args)
    try {
      await assert.rejects(startServer(args), /BS_BUSY: .* in use by process/)
    } finally {
      await stopServer(server)
    }
  })
})
