/**
 * Output into a reader that stops early (`| head`): the built CLI ends quietly with exit 0,
 * no stack trace, for every printing command, `get <id> -` included.
 */
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { cliBin, patternBytes } from '../support/server-process.js'

const exec = promisify(execFile)
let dir: string
let d: string[]

/** Runs the CLI with its standard output closed by the reader before anything is written. */
function closedReader(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliBin, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DITTO_URL: '' },
    })
    child.stdout.destroy()
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stderr }))
  })
}

describe('CLI output into a closed pipe (built)', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ditto-pipe-'))
    d = ['--data-dir', join(dir, 'data')]
    const file = join(dir, 'big.bin')
    await writeFile(file, patternBytes(3 * 1024 * 1024, 3))
    for (const id of ['big', 'a/1', 'a/2', 'a/3']) {
      const r = await exec(process.execPath, [cliBin, 'put', file, id, ...d])
      assert.equal(r.stderr, '')
    }
  })
  after(async () => rm(dir, { recursive: true, force: true }))

  it('ends quietly with exit 0 for every printing command', async () => {
    for (const args of [
      ['stats'],
      ['stats', '--json'],
      ['ls'],
      ['ls', '--json'],
      ['stat', 'big'],
      ['health'],
      ['config'],
      ['get', 'big'],
      ['get', 'big', '-'],
      ['--help'],
      ['--version'],
    ]) {
      const withDir = args[0]!.startsWith('-') || args[0] === 'config' ? args : [...args, ...d]
      const r = await closedReader(withDir)
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
      assert.equal(r.stderr, '', `${args.join(' ')}: no error, no stack trace`)
    }
  })

  it('behaves under real `head` in a pipeline (bash pipefail)', async () => {
    const cmd = (args: string) =>
      `set -o pipefail; "${process.execPath}" "${cliBin}" ${args} --data-dir "${join(dir, 'data')}" 2>"${join(dir, 'err')}"`
    let r = await exec('bash', ['-c', `${cmd('get big -')} | head -c 10 | wc -c`])
    assert.equal(r.stdout.trim(), '10')
    r = await exec('bash', ['-c', `${cmd('stats')} | head -1 && cat "${join(dir, 'err')}"`])
    assert.match(r.stdout, /^payloads +4\n$/)
  })
})
