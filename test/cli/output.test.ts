/**
 * `stats` and `config` output from the built CLI: one named figure per line with units for
 * people, raw figures with --json; settings named by their flag with real values and their
 * source; the token line telling the truth.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { cliBin, patternBytes } from '../support/server-process.js'

const exec = promisify(execFile)
let dir: string

const cli = async (args: string[], env: Record<string, string> = {}) =>
  (
    await exec(process.execPath, [cliBin, ...args], {
      cwd: dir,
      env: { ...process.env, DITTO_URL: '', ...env },
    })
  ).stdout

describe('CLI stats and config output (built)', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ditto-output-'))
  })
  after(async () => rm(dir, { recursive: true, force: true }))

  it('prints stats for people with units, and raw with --json', async () => {
    const d = ['--data-dir', join(dir, 'data'), '--local-max-disk', '1GiB']
    await writeFile(join(dir, 'f'), patternBytes(3 * 1024 * 1024, 7))
    for (const id of ['a', 'b', 'c']) await cli(['put', join(dir, 'f'), id, ...d])
    const human = await cli(['stats', ...d])
    const lines = human.trimEnd().split('\n')
    for (const line of lines) assert.match(line, /^[a-z][a-z ,]*[a-z] {2,}\S/, line)
    assert.match(human, /^payloads +3$/m)
    assert.match(human, /^payloads loaded locally +\d+ \(/m)
    assert.match(human, /^local disk +9 MiB of 1 GiB \(1%\)$/m)
    assert.match(human, /^remote +none \(local-only\)$/m)
    assert.doesNotMatch(human, /fileCount|contentCount|localDiskUsed|\d{7,}/)
    const raw = JSON.parse(await cli(['stats', '--json', ...d])) as Record<string, number>
    assert.equal(raw.contentCount, 3)
    assert.equal(raw.localDiskUsed, 3 * 3 * 1024 * 1024)
    assert.equal(raw.localDiskMax, 1024 ** 3)
  })

  it('prints config by flag name with effective values and sources', async () => {
    const text = await cli(['config', '--parallel-uploads', '6'], { DITTO_READ_BUFFER: '96MiB' })
    assert.doesNotMatch(text, /engine default|parallel_syncs|parallelUploads/)
    assert.match(text, /^ {2}parallel-uploads +6 +\(flag\)$/m)
    assert.match(text, /^ {2}read-buffer +96 MiB +\(environment DITTO_READ_BUFFER\)$/m)
    assert.match(text, /^ {2}upload-interval +1s +\(default\)$/m)
    assert.match(text, /^ {2}fsync +on +\(default\)$/m)
    assert.match(text, /^ {2}local-max-disk +\S+ \S+ +\(deduced from this machine\)$/m)
    assert.match(text, /^ {2}token +none \(loopback only/m)
  })

  it('says a token will be generated when serving beyond loopback without one', async () => {
    const text = await cli(['config', '--host', '0.0.0.0'])
    assert.match(
      text,
      /^ {2}token +generated at start, printed once +\(the host is not loopback\)$/m,
    )
    const withToken = await cli(['config', '--host', '0.0.0.0'], { DITTO_TOKEN: 'secret-1' })
    assert.match(withToken, /^ {2}token +\(set\) +\(environment DITTO_TOKEN\)$/m)
    assert.ok(!withToken.includes('secret-1'))
  })
})
