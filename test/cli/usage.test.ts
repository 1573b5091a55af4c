/**
 * The built CLI checks its whole command line before acting: flags a command does not take,
 * wrong arguments and bad URLs are usage errors (exit 2, one line on stderr plus a pointer
 * to --help, nothing on stdout, nothing done), even while a server holds the data directory.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { cliBin, startServer, stopServer } from '../support/server-process.js'

const exec = promisify(execFile)
let dir: string

async function cli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  try {
    const r = await exec(process.execPath, [cliBin, ...args], {
      cwd: options.cwd ?? dir,
      env: { ...process.env, DITTO_URL: '', ...options.env },
    })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

/** A usage error: exit 2, nothing on stdout, the message and a help pointer on stderr. */
function assertUsage(r: { code: number; stdout: string; stderr: string }, message: RegExp): void {
  assert.equal(r.code, 2, r.stderr)
  assert.equal(r.stdout, '', 'nothing on standard output')
  const lines = r.stderr.trimEnd().split('\n')
  assert.equal(lines.length, 2, `one error line and one pointer, got:\n${r.stderr}`)
  assert.match(lines[0]!, /^error: /)
  assert.match(lines[0]!, message)
  assert.match(lines[1]!, /^Run "ditto-blockstore (\S+ )?--help" for usage\.$/)
}

describe('CLI usage checks (built)', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ditto-usage-'))
  })
  after(async () => rm(dir, { recursive: true, force: true }))

  it('refuses a flag the command does not take, and does nothing', async () => {
    const d = ['--data-dir', join(dir, 'flags')]
    const file = join(dir, 'f0')
    await writeFile(file, 'keep me')
    assert.equal((await cli(['put', file, 'x/f0', ...d])).code, 0)
    assertUsage(await cli(['rm', 'x/f0', '--dry-run', ...d]), /rm does not take --dry-run/)
    const back = await cli(['get', 'x/f0', ...d])
    assert.equal(back.stdout, 'keep me', 'the payload is still there')
    assertUsage(
      await cli(['evict', '--read-buffer-only', '--local-only', ...d]),
      /exclude each other/,
    )
    assertUsage(await cli(['stats', '--port', '9', ...d]), /stats does not take --port/)
    assertUsage(await cli(['ls', '--limit', ...d]), /--limit needs a value/)
    assertUsage(await cli(['ls', '--limit', '0', ...d]), /--limit must be an integer >= 1/)
    assertUsage(await cli(['stats', '--json=yes', ...d]), /--json takes no value/)
    assertUsage(await cli(['truncate', 'x/f0', 'big', ...d]), /size must be an integer/)
    assertUsage(await cli(['flush', ...d]), /flush needs payload IDs or --all/)
    assertUsage(await cli(['flush', 'x/f0', '--all', ...d]), /either payload IDs or --all/)
    assertUsage(await cli(['flush', '--all=1', ...d]), /--all takes no value/)
  })

  it('prints one line and a pointer, suggests close names, has --version', async () => {
    assertUsage(await cli(['frobnicate']), /unknown command "frobnicate"$/)
    assertUsage(await cli(['statts']), /unknown command "statts" \(did you mean stats\?\)/)
    assertUsage(await cli(['help', 'srve']), /did you mean serve\?/)
    assertUsage(
      await cli(['ls', '--limt', '3']),
      /unknown option --limt \(did you mean --limit\?\)/,
    )
    assertUsage(await cli(['gc', '--dryrun']), /did you mean --dry-run\?/)
    assertUsage(await cli(['put', 'only-one-arg']), /usage: ditto-blockstore put <file\|-> <id>/)
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'))
    const v = await cli(['--version'])
    assert.equal(v.code, 0)
    assert.equal(v.stdout, `${pkg.version}\n`)
    const help = await cli([])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /--version/)
  })

  it('checks a --url before using it', async () => {
    for (const url of ['ftp://host/x', 'localhost:7474', 'not a url']) {
      assertUsage(await cli(['stats', '--url', url]), /is not an http:\/\/ or https:\/\/ URL/)
    }
    assertUsage(
      await cli(['stats'], { env: { DITTO_URL: 'file:///tmp' } }),
      /DITTO_URL "file:\/\/\/tmp" is not an http/,
    )
    assertUsage(
      await cli(['stats', '--url', 'http://127.0.0.1:9', '--data-dir', 'x']),
      /apply to the data directory, not to a server/,
    )
  })

  it('checks arguments before taking the lock a running server holds', async () => {
    // The README order: `npm start` (a server on ./data), then commands in the same folder:
    // the commands below run in `dir` with the default data directory, dir/data.
    const server = await startServer(['--data-dir', join(dir, 'data')])
    try {
      for (const args of [
        ['put', 'only-one-arg'],
        ['get', '/bad/id'],
        ['put', join(dir, 'no-such-file'), 'x'],
        ['gc', '--grace', '1m'],
        ['rm', 'x', '--dry-run'],
      ]) {
        const r = await cli(args)
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
        assert.doesNotMatch(r.stderr, /BS_BUSY/)
      }
      // A good command line is still refused while the server holds the directory.
      const busy = await cli(['stats'])
      assert.equal(busy.code, 4)
      assert.match(busy.stderr, /BS_BUSY/)
    } finally {
      await stopServer(server)
    }
  })
})
