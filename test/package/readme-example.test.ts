/**
 * Runs the README's library example exactly as it is written there, the way a new user
 * would: saved as `example.mjs` in an empty folder, plain Node (no TypeScript, no build step),
 * with the built package resolvable by its name. The code block is read from README.md on
 * every run, so an edit that breaks the example fails here instead of on a user's machine.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'

const run = promisify(execFile)
const root = new URL('../../', import.meta.url).pathname
const readme = readFileSync(join(root, 'README.md'), 'utf8')

/** The first fenced `js` block of the "Using the library" section. */
export function libraryExample(text: string): string {
  const section = text.indexOf('\n## Using the library\n')
  assert.ok(section >= 0, 'README has no "Using the library" section')
  const next = text.indexOf('\n## ', section + 1)
  const body = text.slice(section, next < 0 ? undefined : next)
  const m = /\n```js\n([\s\S]*?)\n```\n/.exec(body)
  assert.ok(m, 'the "Using the library" section has no ```js block')
  return `${m[1]}\n`
}

describe('README library example', () => {
  let dir = ''

  before(async () => {
    assert.ok(existsSync(join(root, 'dist/index.js')), 'dist/ is missing: npm test builds first')
    dir = await mkdtemp(join(tmpdir(), 'ditto-readme-'))
    // The package as npm lays it out for a dependent: node_modules/<name> resolving to it.
    await mkdir(join(dir, 'node_modules'))
    await symlink(root, join(dir, 'node_modules/ditto-blockstore'), 'dir')
    await writeFile(join(dir, 'example.mjs'), libraryExample(readme))
  })

  after(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true })
  })

  it('runs as written in plain Node on an empty folder, creating its folders', async () => {
    assert.ok(!existsSync(join(dir, 'data')), 'the folder must start empty')
    const { stdout, stderr } = await run(process.execPath, ['example.mjs'], {
      cwd: dir,
      timeout: 60_000,
    })
    assert.equal(stdout.trim(), '18 quarterly figures\n14 false', `stderr: ${stderr}`)
    assert.ok(existsSync(join(dir, 'data/meta.db')), 'the SQLite database was not created')
    // drainAllUploads put the block in the remote directory.
    const remoteFiles = readdirSync(join(dir, 'data/remote'), { recursive: true })
    assert.ok(remoteFiles.length > 0, 'nothing was uploaded to the fs remote')
  })

  it('runs again on the data it left (reopen, overwrite, same answer)', async () => {
    // The first run renamed report.txt away; this one creates it again and replaces final.txt.
    const { stdout } = await run(process.execPath, ['example.mjs'], { cwd: dir, timeout: 60_000 })
    assert.equal(stdout.trim(), '18 quarterly figures\n14 false')
  })
})
