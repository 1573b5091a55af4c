import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { GroupSync, syncFileSystem } from '../../src/platform/syncfs.js'

const here = fileURLToPath(new URL('../../src/platform/syncfs.ts', import.meta.url))

describe('syncFileSystem', () => {
  it('syncs the file system of a path; concurrent calls each get their answer', async () => {
    if (process.platform !== 'linux') return
    const answers = await Promise.all(Array.from({ length: 5 }, () => syncFileSystem('/tmp')))
    assert.deepEqual(answers, [true, true, true, true, true])
  })

  it('answers false for a path that does not exist or cannot be passed', async () => {
    assert.equal(await syncFileSystem('/nonexistent/ditto/path'), false)
    assert.equal(await syncFileSystem('/tmp\n/etc'), false)
    // The shell survives a failed request.
    if (process.platform === 'linux') assert.equal(await syncFileSystem('/tmp'), true)
  })

  it('does not keep a process alive once it is idle', () => {
    const script = `import { syncFileSystem } from ${JSON.stringify(here)}; console.log(await syncFileSystem('/tmp'))`
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
        timeout: 20_000,
      },
    )
    assert.equal(r.error, undefined, 'the process did not exit by itself')
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.stdout.trim(), process.platform === 'linux' ? 'true' : 'false')
  })

  it('GroupSync: callers asking together share a sync, and each waits for one started after it asked', async () => {
    if (process.platform !== 'linux') return
    const group = new GroupSync('/tmp')
    const answers = await Promise.all(Array.from({ length: 20 }, () => group.sync()))
    assert.ok(answers.every((a) => a))
    // The first caller's sync, then one for everyone who asked while it ran.
    assert.ok(group.runs <= 2, `${group.runs} syncs for 20 callers`)
    assert.equal(await group.sync(), true)
    assert.equal(group.runs <= 3, true)
  })
})
