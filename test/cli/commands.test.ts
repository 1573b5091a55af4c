/**
 * The built CLI through execFile: every command on a data directory, the same against a
 * running server with --url and a token, piping through standard input and output, exit
 * codes and per-command help.
 */
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { cliBin, patternBytes, startServer, stopServer } from '../support/server-process.js'

const exec = promisify(execFile)
let dir: string

async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [cliBin, ...args], {
      env: { ...process.env, ...env },
      encoding: 'buffer',
      maxBuffer: 64 * 1024 * 1024,
    })
    return { code: 0, stdout, stderr: stderr.toString() }
  } catch (err) {
    const e = err as { code: number; stdout: Buffer; stderr: Buffer }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr.toString() }
  }
}

/** Pipes `input` into the CLI's standard input. */
function cliWithStdin(args: string[], input: Buffer): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliBin, ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    child.on('error', reject)
    // A CLI that fails early (401) stops reading: its closed pipe is not the test's failure.
    child.stdin.on('error', () => undefined)
    child.on('close', (code) => resolve({ code: code ?? -1, stdout }))
    child.stdin.end(input)
  })
}

describe('CLI commands (built, via execFile)', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ditto-cli-'))
  })
  after(async () => rm(dir, { recursive: true, force: true }))

  it('runs every payload command on a data directory directly', async () => {
    const d = ['--data-dir', join(dir, 'direct')]
    const file = join(dir, 'in.bin')
    const data = patternBytes(3 * 1024 * 1024 + 5, 1)
    await writeFile(file, data)
    let r = await cli(['put', file, 'dir/a.bin', ...d, '--json'])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(JSON.parse(r.stdout.toString()), {
      id: 'dir/a.bin',
      size: data.length,
      finalized: false,
    })
    r = await cli(['get', 'dir/a.bin', ...d])
    assert.ok(r.stdout.equals(data), 'get to a pipe writes the exact bytes and nothing else')
    const out = join(dir, 'out.bin')
    assert.equal((await cli(['get', 'dir/a.bin', out, ...d])).code, 0)
    assert.ok((await readFile(out)).equals(data))
    assert.equal((await cli(['cp', 'dir/a.bin', 'dir/b.bin', ...d])).code, 0)
    assert.equal((await cli(['truncate', 'dir/b.bin', '10', ...d])).code, 0)
    r = await cli(['stat', 'dir/b.bin', ...d, '--json'])
    assert.equal(JSON.parse(r.stdout.toString()).size, 10)
    r = await cli(['ls', 'dir/', ...d, '--json'])
    assert.deepEqual(
      JSON.parse(r.stdout.toString()).map((x: { id: string }) => x.id),
      ['dir/a.bin', 'dir/b.bin'],
    )
    r = await cli(['ls', ...d])
    assert.match(r.stdout.toString(), /^\s+10 {2}\d{4}-.* {2}dir\/b\.bin$/m)
    r = await cli(['flush', 'dir/a.bin', ...d])
    assert.match(r.stdout.toString(), /dir\/a\.bin: finalized: false/)
    assert.equal((await cli(['rm', 'dir/b.bin', ...d])).code, 0)
    r = await cli(['stat', 'dir/b.bin', ...d])
    assert.equal(r.code, 3)
    assert.match(r.stderr, /BS_CONTENT_NOT_FOUND/)
    for (const cmd of ['stats', 'drain', 'evict']) {
      const x = await cli([cmd, ...d, '--json'])
      assert.equal(x.code, 0, `${cmd}: ${x.stderr}`)
      assert.equal(typeof JSON.parse(x.stdout.toString()), 'object')
    }
    r = await cli(['health', ...d])
    assert.equal(r.code, 0)
    assert.match(r.stdout.toString(), /^healthy/)
    r = await cli(['gc', '--dry-run', ...d])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /BS_NOT_SUPPORTED/)
  })

  it('reads standard input with "-" and prints no progress when piped', async () => {
    const d = ['--data-dir', join(dir, 'stdin')]
    const data = patternBytes(2 * 1024 * 1024, 5)
    const r = await cliWithStdin(['put', '-', 'piped', ...d], data)
    assert.equal(r.code, 0)
    assert.equal(r.stdout, `piped: ${data.length} bytes (2 MiB), finalized: false\n`)
    const back = await cli(['get', 'piped', '-', ...d])
    assert.ok(back.stdout.equals(data))
    assert.equal(back.stderr, '')
  })

  it('works against a running server with --url and the token from DITTO_TOKEN', async () => {
    const token = 'cli-token-77'
    const server = await startServer(['--data-dir', join(dir, 'served')], { DITTO_TOKEN: token })
    const env = { DITTO_TOKEN: token }
    const u = ['--url', server.url]
    try {
      const data = patternBytes(1024 * 1024 + 3, 9)
      const r = await cliWithStdin(['put', '-', 'srv/x', ...u], data)
      assert.equal(r.code, 5, 'no token in this child: unauthorized')
      const file = join(dir, 'srv.bin')
      await writeFile(file, data)
      assert.equal((await cli(['put', file, 'srv/x', ...u], env)).code, 0)
      assert.ok((await cli(['get', 'srv/x', ...u], env)).stdout.equals(data))
      const stat = await cli(['stat', 'srv/x', ...u, '--json'], env)
      assert.equal(JSON.parse(stat.stdout.toString()).size, data.length)
      assert.equal((await cli(['cp', 'srv/x', 'srv/y', ...u], env)).code, 0)
      assert.equal((await cli(['truncate', 'srv/y', '3', ...u], env)).code, 0)
      const ls = await cli(['ls', 'srv/', ...u, '--json'], env)
      assert.deepEqual(
        JSON.parse(ls.stdout.toString()).map((x: { id: string; size: number }) => [x.id, x.size]),
        [
          ['srv/x', data.length],
          ['srv/y', 3],
        ],
      )
      assert.equal((await cli(['rm', 'srv/y', ...u], env)).code, 0)
      assert.equal((await cli(['stat', 'srv/y', ...u], env)).code, 3)
      for (const cmd of ['stats', 'drain', 'evict', 'flush srv/x']) {
        const x = await cli([...cmd.split(' '), ...u, '--json'], env)
        assert.equal(x.code, 0, `${cmd}: ${x.stderr}`)
      }
      assert.equal((await cli(['health', ...u], env)).code, 0)
      assert.equal((await cli(['gc', ...u], env)).code, 1)
      // The server holds the directory: direct mode is refused with "unavailable".
      const busy = await cli(['stats', '--data-dir', join(dir, 'served')])
      assert.equal(busy.code, 4)
      assert.match(busy.stderr, /BS_BUSY/)
    } finally {
      await stopServer(server)
    }
    const down = await cli(['stats', '--url', server.url])
    assert.equal(down.code, 4)
  })

  it('prints help for every command, usage errors exit 2', async () => {
    for (const cmd of [
      'serve',
      'put',
      'get',
      'ls',
      'stat',
      'rm',
      'truncate',
      'cp',
      'flush',
      'drain',
      'gc',
      'stats',
      'health',
      'evict',
      'config',
      'bench',
    ]) {
      const r = await cli([cmd, '--help'])
      assert.equal(r.code, 0)
      assert.match(r.stdout.toString(), new RegExp(`Usage: ditto-blockstore ${cmd}`))
    }
    assert.equal((await cli(['put', 'only-one-arg'])).code, 2)
    assert.equal((await cli(['get', '/bad/id'])).code, 2)
    assert.equal((await cli(['stats', '--bogus-flag'])).code, 2)
  })

  it('prints the effective configuration with sources, and never a secret', async () => {
    const r = await cli(['config', '--json', '--port', '9999', '--remote', 's3://bkt/p'], {
      DITTO_S3_SECRET_ACCESS_KEY: 'very-secret',
      DITTO_READ_BUFFER: '128MiB',
    })
    const out = JSON.parse(r.stdout.toString())
    assert.deepEqual(out.settings.port, { flag: 'port', value: 9999, source: 'flag' })
    assert.deepEqual(out.settings.readBuffer, {
      flag: 'read-buffer',
      value: 128 * 1024 * 1024,
      source: 'env',
    })
    assert.deepEqual(out.settings.s3SecretAccessKey, {
      flag: 's3-secret-access-key',
      value: '(set)',
      source: 'env',
    })
    assert.ok(!r.stdout.toString().includes('very-secret'))
    const human = await cli(['config'])
    assert.match(human.stdout.toString(), /local-max-disk\s+.*\(deduced from this machine\)/)
  })
})
