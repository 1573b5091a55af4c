/**
 * `flush` with several IDs and `flush --all` through the built CLI: against a spawned server
 * (which knows what its clients wrote without a flush) and directly on a data directory.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { cliBin, startServer, stopServer } from '../support/server-process.js'

const exec = promisify(execFile)
let dir: string

async function cli(args: string[]) {
  try {
    const r = await exec(process.execPath, [cliBin, ...args], {
      env: { ...process.env, DITTO_URL: '' },
    })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe('CLI flush of several payloads (built)', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ditto-cli-flush-'))
  })
  after(async () => rm(dir, { recursive: true, force: true }))

  it('flushes named payloads and then all the rest on a server, one line each', async () => {
    const server = await startServer(['--data-dir', join(dir, 'served')])
    const u = ['--url', server.url]
    try {
      for (const id of ['b/1', 'b/2', 'b/3', 'b/4']) {
        const res = await fetch(`${server.url}/v1/payloads/${id}?offset=0`, {
          method: 'PATCH',
          body: `unflushed ${id}`,
        })
        assert.equal(res.status, 200)
      }
      let r = await cli(['flush', 'b/2', 'b/1', 'b/2', ...u])
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.stdout, 'b/2: finalized: false\nb/1: finalized: false\n')
      r = await cli(['flush', '--all', '--json', ...u])
      assert.equal(r.code, 0, r.stderr)
      assert.deepEqual(JSON.parse(r.stdout), {
        results: [
          { id: 'b/3', finalized: false },
          { id: 'b/4', finalized: false },
        ],
        failures: [],
      })
      r = await cli(['flush', '--all', ...u])
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.stdout, 'no payload has unflushed changes\n')
      const stats = (await (await fetch(`${server.url}/v1/stats`)).json()) as {
        blocksDirty: number
      }
      assert.equal(stats.blocksDirty, 0)
      // Some flushed, some not: every line printed, exit code 6.
      r = await cli(['flush', 'b/1', 'nope', ...u])
      assert.equal(r.code, 6)
      assert.equal(
        r.stdout,
        'b/1: finalized: false\nnope: failed: BS_CONTENT_NOT_FOUND payload nope does not exist\n',
      )
      // None flushed: the failure's own exit code (3: not found).
      r = await cli(['flush', 'nope', 'nada', '--json', ...u])
      assert.equal(r.code, 3)
      assert.equal(JSON.parse(r.stdout).failures.length, 2)
      // A malformed ID is refused before anything is sent.
      r = await cli(['flush', 'b/1', 'a//b', ...u])
      assert.equal(r.code, 2)
      assert.match(r.stderr, /BS_INVALID_PAYLOAD_ID|empty path segment/)
    } finally {
      await stopServer(server)
    }
  })

  it('flushes several payloads on a data directory; --all there finds nothing pending', async () => {
    const d = ['--data-dir', join(dir, 'direct')]
    assert.equal((await cli(['truncate', 'x', '10', ...d])).code, 0)
    assert.equal((await cli(['truncate', 'y', '20', ...d])).code, 0)
    let r = await cli(['flush', 'y', 'x', ...d])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, 'y: finalized: false\nx: finalized: false\n')
    // Each run opens the engine anew, and the previous run's close flushed everything.
    r = await cli(['flush', '--all', '--json', ...d])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(JSON.parse(r.stdout), { results: [], failures: [] })
    // The one-ID form keeps its output.
    r = await cli(['flush', 'x', '--json', ...d])
    assert.deepEqual(JSON.parse(r.stdout), { id: 'x', finalized: false })
  })
})
