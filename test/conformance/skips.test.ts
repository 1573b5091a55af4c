/**
 * A conformance case that cannot run on the configuration under test (no remote store, a
 * capability the store does not declare) reports itself skipped, never a pass that checked
 * nothing; a harness that cannot skip makes it fail instead, and so does a store that declares
 * a capability the suite was given no means to check.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import {
  type CaseContext,
  describeMetadataStore,
  describeRemoteStore,
  type Harness,
  requiring,
  skipCase,
} from '../../src/conformance/index.js'
import type { RemoteStoreCapabilities } from '../../src/core/remote-store.js'
import { MemoryMetadataStore, MemoryRemoteStore } from '../../src/index.js'

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'local-only.fixture.ts')

/** A harness that records the cases, to run one by name with the suite's before/after hooks. */
function recordingHarness(): Harness & {
  run(name: string, t?: CaseContext): Promise<void>
} {
  const cases = new Map<string, (t?: CaseContext) => void | Promise<void>>()
  const before: Array<() => void | Promise<void>> = []
  const after: Array<() => void | Promise<void>> = []
  return {
    describe: (_name, fn) => void fn(),
    it: (name, fn) => void cases.set(name, fn),
    beforeEach: (fn) => void before.push(fn),
    afterEach: (fn) => void after.push(fn),
    async run(name, t) {
      const fn = cases.get(name)
      assert.ok(fn !== undefined, `no case "${name}"`)
      for (const b of before) await b()
      try {
        await fn(t)
      } finally {
        for (const a of after) await a()
      }
    },
  }
}

describe('conformance skips', () => {
  it('stores declaring no persistence or sharing, and an engine with no remote, get those cases skipped, visibly', () => {
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
    assert.ok(count('pass') > 150, 'the cases that can run, ran')
    const skipped = [...tap.matchAll(/^\s*ok \d+ - (.+) # SKIP (.+)$/gm)].map((m) => [m[1], m[2]])
    const because = (reason: string): string[] =>
      skipped.filter(([, r]) => r === reason).map(([name]) => name as string)
    // Every case of the remote group, and the restarts that lose the local directory.
    const noRemote = because('no remote store')
    assert.equal(noRemote.length, 14, noRemote.join('\n'))
    for (const name of [
      'reads evicted blocks back from the remote, byte for byte',
      'rename replaces a destination whose blocks are remote-only',
      'a renamed payload survives the loss of the local directory once drained',
      'survives close, loss of the local directory and reopen (restart)',
    ]) {
      assert.ok(noRemote.includes(name), name)
    }
    assert.deepEqual(because("the metadata store's capabilities.persistent is false").sort(), [
      'a rename survives close and reopen',
      'batch flushes survive close and reopen',
    ])
    assert.deepEqual(because('capabilities.persistent is false').sort(), [
      'flushed payloads, their sizes and rows survive close and reopen; deletes stay deleted',
      'holds across close and reopen',
      'keeps rows, versions, hashes and payload records across close and reopen',
      'objects survive close and reopen (capabilities.persistent)',
      'survives reopen',
    ])
    assert.deepEqual(because('capabilities.shared is false').sort(), [
      'counts exactly across two handles incrementing concurrently (two nodes)',
      'excludes a second handle (another process or node) from the lock and fences',
      'holds when another handle deleted the row',
    ])
    // MemoryRemoteStore declares rangeReads: that case ran.
    assert.match(tap, /^\s*ok \d+ - readBlockRange receives only about the range .*\)$/m)
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

  it('a store declaring a capability the suite cannot check fails that case, never skips it', async () => {
    class ClaimsPersistence extends MemoryRemoteStore {
      override readonly capabilities: RemoteStoreCapabilities = {
        persistent: true,
        rangeReads: true,
      }
    }
    const remote = recordingHarness()
    describeRemoteStore({
      name: 'claims persistence',
      create: () => new ClaimsPersistence(),
      harness: remote,
    })
    const skips: string[] = []
    const t: CaseContext = { skip: (reason) => void skips.push(reason ?? '') }
    await assert.rejects(
      remote.run('objects survive close and reopen (capabilities.persistent)', t),
      /capabilities\.persistent is true, but the suite was given no reopen to check it/,
    )
    const metadata = recordingHarness()
    describeMetadataStore({
      name: 'claims sharing',
      create: async () => {
        const store = await MemoryMetadataStore.open()
        Object.defineProperty(store, 'capabilities', { value: { persistent: false, shared: true } })
        return store
      },
      harness: metadata,
    })
    await assert.rejects(
      metadata.run('holds when another handle deleted the row', t),
      /capabilities\.shared is true, but the suite was given no openPeer to check it/,
    )
    await metadata.run('holds across close and reopen', t)
    assert.deepEqual(skips, ['capabilities.persistent is false'])
  })
})
