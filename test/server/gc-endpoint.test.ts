/**
 * Garbage collection end to end: `POST /v1/gc` and `ditto-blockstore gc` against a server and
 * a data directory with a file:// remote (a local-only engine answers 501 BS_NOT_SUPPORTED,
 * covered by the HTTP API tests).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
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
