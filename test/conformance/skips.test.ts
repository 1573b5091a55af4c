/**
 * A conformance case that cannot run on the configuration under test (no remote store, no
 * reopen) reports itself skipped, never a pass that checked nothing; a harness that cannot
 * skip makes it fail instead.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { type Harness, requiring, skipCase } from '../../src/conformance/harness.js'

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'local-only.fixture.ts')

describe('conformance skips', () => {
  it('a local-only engine without reopen gets every remote and restart case skipped, visibly', () => {
    // Without the parent runner's marker, which would make the child report to it, not in TAP.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=tap', fixture],
      { encoding: 'utf8', timeout: 240_000, env },
    )
    const tap = run.stdout
    assert.equal(run.status, 0, `${tap.slice(-2000)}\n${run.stderr}`)
    const count = (what: string): number =>
      Number(new RegExp(`^# ${what} (\\d+)$`, 'm').exec(tap)?.[1] ?? Number.NaN)
    assert.equal(count('fail'), 0)
    assert.ok(count('pass') > 100, 'the cases that can run, ran')
    const skipped = [...tap.matchAll(/^\s*ok \d+ - (.+) # SKIP (.+)$/gm)].map((m) => [m[1], m[2]])
    const because = (reason: string): string[] =>
      skipped.filter(([, r]) => r === reason).map(([name]) => name as string)
    // Every case of the remote group (and the restart case, which needs one too).
    const noRemote = because('no remote store')
    assert.equal(noRemote.length, 14, noRemote.join('\n'))
    for (const name of [
      'reads evicted blocks back from the remote, byte for byte',
      'rename replaces a destination whose blocks are remote-only',
      'survives close, loss of the local directory and reopen (restart)',
    ]) {
      assert.ok(noRemote.includes(name), name)
    }
    assert.deepEqual(because('the fixture cannot reopen').sort(), [
      'a rename survives close and reopen',
      'batch flushes survive close and reopen',
    ])
    assert.deepEqual(because('the suite was given no reopen').sort(), [
      'holds across close and reopen',
      'keeps rows, versions, hashes and payload records across close and reopen',
      'survives reopen',
    ])
    assert.deepEqual(because('the suite was given no openPeer').sort(), [
      'counts exactly across two handles incrementing concurrently (two nodes)',
      'excludes a second handle (another process or node) from the lock and fences',
      'holds when another handle deleted the row',
    ])
    assert.equal(skipped.length, count('skipped'))
  })

  it('a harness whose cases get no context fails the case rather than passing it', async () => {
    assert.throws(() => skipCase(undefined, 'no remote store'), /no remote store.*cannot report/)
    const cases: Array<() => void | Promise<void>> = []
    const bare: Harness = {
      describe: (_name, fn) => void fn(),
      it: (_name, fn) => void cases.push(() => fn()),
      beforeEach: () => {},
      afterEach: () => {},
    }
    let ran = 0
    requiring(bare, () => 'no remote store').it('needs a remote', () => {
      ran++
    })
    requiring(bare, () => undefined).it('runs', () => {
      ran++
    })
    await assert.rejects(async () => cases[0]?.(), /no remote store/)
    await cases[1]?.()
    assert.equal(ran, 1)
  })
})
