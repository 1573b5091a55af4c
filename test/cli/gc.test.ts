/**
 * `gc` from the built CLI with its options (--dry-run, --grace, --prefix, --max-deletions),
 * on a data directory with a directory remote, and against a running server; the grace
 * floor refused up front; the exact query sent to a server.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { gcRequest } from '../../src/cli/admin-commands.js'
import { gcQuery } from '../../src/cli/http-target.js'
import { chunkIndexSize } from '../../src/core/chunk-layout.js'
import { cliBin, patternBytes, startServer, stopServer } from '../support/server-process.js'

const exec = promisify(execFile)
let dir: string
let remote: string
let d: string[]

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

/** The objects of a directory remote (its format marker left out). */
async function allFiles(at: string): Promise<string[]> {
  const entries = await readdir(at, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => join(e.parentPath, e.name))
}

/** The block objects of a directory remote (separate chunk indexes of older layouts left out). */
async function remoteFiles(at: string): Promise<string[]> {
  return (await allFiles(at)).filter((f) => !f.endsWith('.chunks'))
}

/**
 * Stores `n` versions of one payload and uploads each: n - 1 objects end up unreferenced.
 * 128 KiB each: past the 64 KiB under which a block is uploaded without a chunk index, so
 * each object carries its index after the block and goes with it.
 */
async function orphans(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const file = join(dir, `v${i}.bin`)
    await writeFile(file, patternBytes(128 * 1024, 1001 + 2 * i))
    assert.equal((await cli(['put', file, 'doc', ...d])).code, 0)
    assert.equal((await cli(['drain', ...d])).code, 0)
  }
  // Two hours old: past any grace period used below.
  const old = new Date(Date.now() - 2 * 3600_000)
  for (const f of await allFiles(remote)) await utimes(f, old, old)
}

const json = (r: { stdout: string }) =>
  JSON.parse(r.stdout) as {
    dryRun: boolean
    orphaned: number
    deleted: number
    objectsScanned: number
    stoppedEarly: boolean
  }

describe('CLI gc options (built)', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ditto-cli-gc-'))
    remote = join(dir, 'remote')
    d = ['--data-dir', join(dir, 'data'), '--remote', `file://${remote}`]
    await orphans(4)
  })
  after(async () => rm(dir, { recursive: true, force: true }))

  it('dry run, prefix, max deletions and grace on a data directory', async () => {
    const before = (await remoteFiles(remote)).length
    assert.equal(before, 4)
    let r = await cli(['gc', '--dry-run', '--grace', '90m', '--json', ...d])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(json(r).dryRun, true)
    assert.equal(json(r).orphaned, 3)
    assert.equal((await remoteFiles(remote)).length, 4, 'a dry run deletes nothing')
    // Objects are two hours old: a three-hour grace keeps them all.
    r = await cli(['gc', '--dry-run', '--grace', '3h', '--json', ...d])
    assert.equal(json(r).orphaned, 0)
    r = await cli(['gc', '--dry-run', '--prefix', 'no-such-prefix/', '--json', ...d])
    assert.equal(json(r).objectsScanned, 0)
    r = await cli(['gc', '--grace', '90m', '--max-deletions', '1', '--json', ...d])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(json(r).deleted, 1)
    assert.equal(json(r).stoppedEarly, true)
    assert.equal((await remoteFiles(remote)).length, 3)
    r = await cli(['gc', '--grace', '90m', ...d])
    assert.equal(r.code, 0, r.stderr)
    // Two 128 KiB blocks, each with its 1,088-byte chunk index after it: 2 x 132,160 bytes.
    assert.equal(2 * (128 * 1024 + chunkIndexSize(128 * 1024)), 264_320)
    assert.match(r.stdout, /^collected +deleted 2 objects \(258\.1 KiB\)$/m)
    assert.equal((await remoteFiles(remote)).length, 1)
    assert.equal((await allFiles(remote)).length, 1, 'one object per block, its index inside')
    // What remains is the current version, readable.
    r = await cli(['get', 'doc', ...d])
    assert.equal(r.code, 0)
  })

  it('refuses a grace under the floor before opening anything', async () => {
    for (const grace of ['1m', '299s', '0']) {
      const r = await cli(['gc', '--grace', grace, ...d])
      assert.equal(r.code, 2, r.stderr)
      assert.match(r.stderr, /^error: BS_INVALID_CONFIG: --grace .* under the 5m floor/)
    }
    const bad = await cli(['gc', '--grace', 'soon', ...d])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /--grace: "soon" is not a valid duration/)
    const max = await cli(['gc', '--max-deletions', '-1', ...d])
    assert.equal(max.code, 2)
  })

  it('sends the options to a server as POST /v1/gc query parameters', async () => {
    const request = gcRequest({
      'dry-run': true,
      grace: '90m',
      prefix: 'a/',
      'max-deletions': '10',
    })
    const q = new URLSearchParams(gcQuery(request) as Record<string, string>)
    assert.equal(q.toString(), 'dryRun=1&gracePeriod=90m&prefix=a%2F&maxDeletions=10')
    // Not given: not sent; a grace the server might spell differently goes as milliseconds.
    assert.deepEqual(
      Object.entries(gcQuery(gcRequest({ grace: '1.5h' }))).filter(([, v]) => v !== undefined),
      [['gracePeriod', '5400000']],
    )
    const server = await startServer([
      '--data-dir',
      join(dir, 'served'),
      '--remote',
      `file://${join(dir, 'remote2')}`,
    ])
    try {
      const r = await cli(['gc', '--dry-run', '--grace', '90m', '--url', server.url, '--json'])
      assert.equal(r.code, 0, r.stderr)
      assert.equal(json(r).dryRun, true)
      const low = await cli(['gc', '--grace', '1m', '--url', server.url])
      assert.equal(low.code, 2)
      assert.match(low.stderr, /BS_INVALID_CONFIG/)
    } finally {
      await stopServer(server)
    }
  })
})
