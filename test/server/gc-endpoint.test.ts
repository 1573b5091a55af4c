/**
 * Garbage collection end to end: `POST /v1/gc` and `ditto-blockstore gc` against a server and
 * a data directory with a file:// remote (a local-only engine answers 501 BS_NOT_SUPPORTED,
 * covered by the HTTP API tests).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, rm, stat, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { cliBin, type ServerProcess, startServer, stopServer } from '../support/server-process.js'

const run = promisify(execFile)

describe('garbage collection through the server and the CLI', () => {
  let dir = ''
  let server: ServerProcess | undefined
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gc-endpoint-'))
  })
  after(async () => {
    if (server !== undefined) await stopServer(server)
    await rm(dir, { recursive: true, force: true })
  })

  it('maps gracePeriod, prefix, maxDeletions and dryRun onto the collection, and refuses bad values with 400 changing nothing', async () => {
    const remoteDir = join(dir, 'params-remote')
    server = await startServer([
      '--data-dir',
      join(dir, 'params-data'),
      '--remote',
      `file://${remoteDir}`,
    ])
    const url = server.url
    const put = async (id: string, seed: number): Promise<Uint8Array> => {
      const body = new Uint8Array(50_000).map((_, i) => (i * seed) & 255)
      const res = await fetch(`${url}/v1/payloads/${id}`, { method: 'PUT', body })
      assert.equal(res.status, 201)
      await res.arrayBuffer()
      return body
    }
    const kept = await put('keep', 3)
    await put('gone1', 5)
    await put('gone2', 7)
    assert.equal((await fetch(`${url}/v1/drain`, { method: 'POST' })).status, 200)
    for (const id of ['gone1', 'gone2']) {
      assert.equal((await fetch(`${url}/v1/payloads/${id}`, { method: 'DELETE' })).status, 204)
    }
    // Every object is two hours old: older than 90 minutes, younger than three hours.
    const allFiles = async (): Promise<string[]> => {
      const files: string[] = []
      for (const e of await readdir(remoteDir, { recursive: true })) {
        if (!e.startsWith('.') && (await stat(join(remoteDir, e))).isFile()) files.push(e)
      }
      return files
    }
    // Block objects: each block's chunk index goes with it and is not counted by GC.
    const objects = async (): Promise<string[]> =>
      (await allFiles()).filter((f) => !f.endsWith('.chunks'))
    const old = new Date(Date.now() - 2 * 3600_000)
    for (const f of await allFiles()) await utimes(join(remoteDir, f), old, old)
    assert.equal((await objects()).length, 3)
    const gc = async (
      query: string,
    ): Promise<{ status: number; body: Record<string, unknown> }> => {
      const res = await fetch(`${url}/v1/gc?${query}`, { method: 'POST' })
      return { status: res.status, body: (await res.json()) as Record<string, unknown> }
    }
    for (const [query, field] of [
      ['gracePeriod=abc', 'gracePeriod'],
      ['gracePeriod=-5m', 'gracePeriod'],
      ['gracePeriod=4m', 'floor'],
      ['gracePeriod=299999', 'floor'],
      ['maxDeletions=-1', 'maxDeletions'],
      ['maxDeletions=1.5', 'maxDeletions'],
      ['dryRun=maybe', 'dryRun'],
    ] as const) {
      const { status, body } = await gc(query)
      assert.equal(status, 400, query)
      assert.equal(body.code, 'BS_INVALID_ARGUMENT', query)
      assert.match(String(body.message), new RegExp(field), query)
    }
    assert.equal((await objects()).length, 3, 'a refused request deletes nothing')

    let r = await gc('dryRun=1&gracePeriod=3h')
    assert.equal(r.status, 200)
    assert.deepEqual([r.body.young, r.body.orphaned, r.body.referenced], [2, 0, 1])
    r = await gc('dryRun=1&gracePeriod=10800000')
    assert.deepEqual([r.body.young, r.body.orphaned], [2, 0], 'plain milliseconds')
    r = await gc('dryRun=1&gracePeriod=90m')
    assert.deepEqual([r.body.young, r.body.orphaned, r.body.deleted], [0, 2, 0])
    r = await gc('dryRun=1&gracePeriod=90m&prefix=blocks%2Fzz')
    assert.equal(r.body.objectsScanned, 0, 'no key starts with blocks/zz')
    r = await gc('dryRun=1&gracePeriod=90m&prefix=blocks%2F')
    assert.equal(r.body.objectsScanned, 3)

    r = await gc('gracePeriod=90m&maxDeletions=1')
    assert.equal(r.status, 200)
    assert.deepEqual([r.body.dryRun, r.body.deleted, r.body.stoppedEarly], [false, 1, true])
    assert.equal((await objects()).length, 2)
    r = await gc('gracePeriod=90m')
    assert.deepEqual([r.body.deleted, r.body.stoppedEarly], [1, false])
    assert.equal((await objects()).length, 1)
    const back = await fetch(`${url}/v1/payloads/keep`)
    assert.deepEqual(new Uint8Array(await back.arrayBuffer()), kept)
    await stopServer(server)
    server = undefined
  })

  it('runs a dry-run collection over HTTP and reports real counts', async () => {
    const remote = `file://${join(dir, 'remote')}`
    server = await startServer(['--data-dir', join(dir, 'data'), '--remote', remote])
    const body = new Uint8Array(100_000).map((_, i) => (i * 7) & 255)
    const put = await fetch(`${server.url}/v1/payloads/g/a`, { method: 'PUT', body })
    assert.equal(put.status, 201)
    const drained = await fetch(`${server.url}/v1/drain`, { method: 'POST' })
    assert.equal(drained.status, 200)
    const res = await fetch(`${server.url}/v1/gc?dryRun=1`, { method: 'POST' })
    assert.equal(res.status, 200)
    const report = (await res.json()) as Record<string, unknown>
    assert.equal(report.dryRun, true)
    assert.equal(report.objectsScanned, 1)
    assert.equal(report.referenced, 1)
    assert.equal(report.deleted, 0)
    const back = await fetch(`${server.url}/v1/payloads/g/a`)
    assert.deepEqual(new Uint8Array(await back.arrayBuffer()), body)
    await stopServer(server)
    server = undefined

    const { stdout } = await run(process.execPath, [
      cliBin,
      'gc',
      '--dry-run',
      '--json',
      '--data-dir',
      join(dir, 'data'),
      '--remote',
      remote,
    ])
    const direct = JSON.parse(stdout) as Record<string, unknown>
    assert.equal(direct.objectsScanned, 1)
    assert.equal(direct.deleted, 0)
  })
})
