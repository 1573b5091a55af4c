import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FaultInjectingRemoteStore } from '../../src/conformance/faulty-remote-store.js'
import { BlockState, newFileBlock } from '../../src/core/block.js'
import { isBlockStoreError } from '../../src/core/errors.js'
import type { GarbageCollectionProgress } from '../../src/core/gc.js'
import type { MetadataStore } from '../../src/core/metadata-store.js'
import { collectGarbage } from '../../src/gc/collect-garbage.js'
import { MemoryMetadataStore } from '../../src/meta/memory/memory-metadata-store.js'
import { MemoryRemoteStore } from '../../src/remote/memory/memory-remote-store.js'

const HOUR = 3_600_000
/** A clock two hours ahead: every object already written is past the default grace. */
const later = (): number => Date.now() + 2 * HOUR

async function setup(): Promise<{
  metadata: MemoryMetadataStore
  remote: FaultInjectingRemoteStore
}> {
  return {
    metadata: await MemoryMetadataStore.open(),
    remote: new FaultInjectingRemoteStore(new MemoryRemoteStore()),
  }
}

async function reference(
  metadata: MetadataStore,
  id: string,
  key: string,
  patch = {},
): Promise<void> {
  await metadata.putFileBlock({
    ...newFileBlock(id, ''),
    state: BlockState.Remote,
    blockStoreKey: key,
    dataSize: 10,
    ...patch,
  })
}

async function keys(remote: FaultInjectingRemoteStore): Promise<string[]> {
  const out: string[] = []
  for await (const o of remote.inner.listObjects('')) out.push(o.key)
  return out
}

/** `target` with some methods replaced (a fault-injecting fake over the real store). */
function override(target: MetadataStore, patch: Partial<MetadataStore>): MetadataStore {
  return new Proxy(target, {
    get(t, p) {
      if (p in patch) return patch[p as keyof MetadataStore]
      const v = Reflect.get(t, p, t)
      return typeof v === 'function' ? v.bind(t) : v
    },
  })
}

const bytes = (n: number, fill = 7): Uint8Array => new Uint8Array(n).fill(fill)

describe('collectGarbage', () => {
  it('does nothing on an empty remote', async () => {
    const { metadata, remote } = await setup()
    const r = await collectGarbage({ metadata, remote, now: later })
    assert.equal(r.objectsScanned, 0)
    assert.equal(r.deleted, 0)
    assert.equal(r.errors, 0)
  })

  it('keeps a referenced object with its data intact', async () => {
    const { metadata, remote } = await setup()
    await remote.writeBlock('blocks/aa/live', bytes(10))
    await reference(metadata, 'p/0', 'blocks/aa/live')
    const r = await collectGarbage({ metadata, remote, now: later })
    assert.deepEqual([r.objectsScanned, r.referenced, r.orphaned, r.deleted], [1, 1, 0, 0])
    assert.deepEqual(await remote.readBlock('blocks/aa/live'), bytes(10))
  })

  it('deletes an orphan and reports its real size as reclaimed', async () => {
    const { metadata, remote } = await setup()
    await remote.writeBlock('blocks/bb/orphan', bytes(1234))
    const r = await collectGarbage({ metadata, remote, now: later })
    assert.deepEqual([r.orphaned, r.deleted, r.bytesReclaimed], [1, 1, 1234])
    assert.deepEqual(await keys(remote), [])
  })

  it('deletes only the orphans among live objects', async () => {
    const { metadata, remote } = await setup()
    for (let i = 0; i < 10; i++) {
      await remote.writeBlock(`blocks/cc/${i}`, bytes(100 + i))
      if (i % 2 === 0) await reference(metadata, `m/${i}`, `blocks/cc/${i}`)
    }
    const r = await collectGarbage({ metadata, remote, now: later })
    assert.deepEqual([r.objectsScanned, r.referenced, r.deleted], [10, 5, 5])
    assert.equal(r.bytesReclaimed, 101 + 103 + 105 + 107 + 109)
    assert.deepEqual(await keys(remote), [
      'blocks/cc/0',
      'blocks/cc/2',
      'blocks/cc/4',
      'blocks/cc/6',
      'blocks/cc/8',
    ])
  })

  it('keeps unreferenced objects younger than the grace period', async () => {
    const { metadata, remote } = await setup()
    await remote.writeBlock('blocks/dd/new', bytes(5))
    const r = await collectGarbage({ metadata, remote })
    assert.deepEqual([r.young, r.orphaned, r.deleted], [1, 0, 0])
    const r2 = await collectGarbage({
      metadata,
      remote,
      gracePeriodMs: 0,
      allowShortGrace: true,
      now: () => Date.now() + 1,
    })
    assert.equal(r2.deleted, 1)
  })

  it('refuses a grace period under 5 minutes unless allowShortGrace is set', async () => {
    const { metadata, remote } = await setup()
    await assert.rejects(collectGarbage({ metadata, remote, gracePeriodMs: 60_000 }), (e) =>
      isBlockStoreError(e, 'BS_INVALID_CONFIG'),
    )
    await assert.rejects(collectGarbage({ metadata, remote, maxDeletions: -1 }), (e) =>
      isBlockStoreError(e, 'BS_INVALID_CONFIG'),
    )
  })

  it('deletes nothing in a dry run and reports the counts of the real run', async () => {
    const { metadata, remote } = await setup()
    for (let i = 0; i < 6; i++) await remote.writeBlock(`blocks/ee/${i}`, bytes(50 * (i + 1)))
    await reference(metadata, 'e/0', 'blocks/ee/0')
    const dry = await collectGarbage({ metadata, remote, now: later, dryRun: true })
    assert.equal(dry.dryRun, true)
    assert.equal(dry.deleted, 0)
    assert.equal((await keys(remote)).length, 6)
    const real = await collectGarbage({ metadata, remote, now: later })
    for (const k of [
      'objectsScanned',
      'referenced',
      'orphaned',
      'bytesOrphaned',
      'young',
    ] as const) {
      assert.equal(dry[k], real[k], k)
    }
    assert.equal(real.deleted, dry.orphaned)
    assert.equal(real.bytesReclaimed, dry.bytesOrphaned)
  })

  it('reports progress with growing counters and stops at maxDeletions', async () => {
    const { metadata, remote } = await setup()
    for (let i = 0; i < 2500; i++)
      await remote.writeBlock(`blocks/ff/${String(i).padStart(5, '0')}`, bytes(1))
    const seen: GarbageCollectionProgress[] = []
    const r = await collectGarbage({
      metadata,
      remote,
      now: later,
      maxDeletions: 2200,
      onProgress: (p) => seen.push(p),
    })
    assert.equal(r.deleted, 2200)
    assert.equal(r.stoppedEarly, true)
    assert.equal((await keys(remote)).length, 300)
    const sweeps = seen.filter((p) => p.phase === 'sweep')
    assert.ok(sweeps.length >= 2)
    assert.ok(sweeps.every((p, i) => i === 0 || p.objectsScanned >= sweeps[i - 1]!.objectsScanned))
    assert.deepEqual(seen.map((p) => p.phase).at(-1), 'done')
  })

  it('leaves objects outside the prefix untouched', async () => {
    const { metadata, remote } = await setup()
    await remote.writeBlock('blocks/aa/x', bytes(1))
    await remote.writeBlock('other/x', bytes(1))
    const r = await collectGarbage({ metadata, remote, now: later, prefix: 'blocks/' })
    assert.equal(r.objectsScanned, 1)
    assert.deepEqual(await keys(remote), ['other/x'])
  })

  it('decides liveness by exact key, never by parsing "/block-" (directory named block-1)', async () => {
    const { metadata, remote } = await setup()
    // Upstream parsed the first "/block-" and deleted prefix "a/": live data of a/block-1/b.
    await remote.writeBlock('a/block-1/b/block-0', bytes(3, 1))
    await remote.writeBlock('a/block-1/c/block-0', bytes(3, 2))
    await remote.writeBlock('a/block-1', bytes(3, 3))
    await remote.writeBlock('a/x/block-7', bytes(3, 4))
    await reference(metadata, 'a/block-1/b/0', 'a/block-1/b/block-0')
    await reference(metadata, 'a/x/7', 'a/x/block-7')
    const r = await collectGarbage({ metadata, remote, now: later })
    assert.equal(r.deleted, 2)
    assert.deepEqual(await keys(remote), ['a/block-1/b/block-0', 'a/x/block-7'])
    assert.deepEqual(await remote.readBlock('a/block-1/b/block-0'), bytes(3, 1))
  })

  it('deletes nothing when the metadata store fails while marking', async () => {
    const { metadata, remote } = await setup()
    await remote.writeBlock('blocks/gg/0', bytes(1))
    await reference(metadata, 'g/0', 'blocks/gg/0')
    for (let i = 1; i < 3000; i++) await remote.writeBlock(`blocks/gg/${i}`, bytes(1))
    const failing = override(metadata, {
      async *referencedRemoteKeys() {
        yield 'blocks/gg/0'
        throw new Error('connection reset')
      },
    })
    await assert.rejects(collectGarbage({ metadata: failing, remote, now: later }), (e) =>
      isBlockStoreError(e, 'BS_UNAVAILABLE'),
    )
    assert.equal((await keys(remote)).length, 3000, 'every object is still there')
    // The lock was released: a healthy run goes ahead.
    assert.equal((await collectGarbage({ metadata, remote, now: later })).deleted, 2999)
  })

  it('deletes nothing when an unknown or broken metadata store refuses every call', async () => {
    const { metadata, remote } = await setup()
    await remote.writeBlock('blocks/hh/0', bytes(1))
    await metadata.close()
    await assert.rejects(collectGarbage({ metadata, remote, now: later }))
    const noList = override(await MemoryMetadataStore.open(), {
      referencedRemoteKeys: () => {
        throw new Error('unknown share')
      },
    })
    await assert.rejects(collectGarbage({ metadata: noList, remote, now: later, dryRun: true }))
    assert.deepEqual(await keys(remote), ['blocks/hh/0'])
  })

  it('stops deleting as soon as a fence cannot be placed', async () => {
    const { metadata, remote } = await setup()
    for (let i = 0; i < 20; i++) await remote.writeBlock(`blocks/ii/${i}`, bytes(1))
    const broken = override(metadata, {
      tryAcquireGcLock: async () => {
        const lock = (await metadata.tryAcquireGcLock())!
        return { ...lock, fenceUnreferenced: async () => Promise.reject(new Error('db down')) }
      },
    })
    const r = await collectGarbage({ metadata: broken, remote, now: later })
    assert.equal(r.deleted, 0)
    assert.equal((await keys(remote)).length, 20, 'every object is still there')
    assert.equal(r.stoppedEarly, true)
    assert.ok(r.errors >= 1)
  })

  it('refuses a second concurrent run with BS_BUSY', async () => {
    const { metadata, remote } = await setup()
    await remote.writeBlock('blocks/jj/0', bytes(1))
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    let listing!: () => void
    const listed = new Promise<void>((r) => (listing = r))
    remote.beforeList = async () => {
      listing()
      await held
    }
    const first = collectGarbage({ metadata, remote, now: later })
    await listed
    await assert.rejects(collectGarbage({ metadata, remote, now: later }), (e) =>
      isBlockStoreError(e, 'BS_BUSY'),
    )
    release()
    assert.equal((await first).deleted, 1)
  })

  it('rejects with the abort reason and deletes nothing when aborted', async () => {
    const { metadata, remote } = await setup()
    await remote.writeBlock('blocks/kk/0', bytes(1))
    const ac = new AbortController()
    ac.abort(new Error('stop'))
    await assert.rejects(
      collectGarbage({ metadata, remote, now: later, signal: ac.signal }),
      /stop/,
    )
    assert.equal((await keys(remote)).length, 1)
  })

  it('finishes the deletions of a run that died between fence and unfence', async () => {
    const { metadata, remote } = await setup()
    await remote.writeBlock('blocks/ll/0', bytes(9))
    const dead = (await metadata.tryAcquireGcLock())!
    assert.equal(await dead.fenceUnreferenced('blocks/ll/0'), true)
    await dead.release()
    // Young by the grace period, but fenced (no row references it): deleted, fence lifted.
    const r = await collectGarbage({ metadata, remote })
    assert.deepEqual([r.deleted, r.bytesReclaimed], [1, 9])
    await reference(metadata, 'l/0', 'blocks/ll/0')
  })

  it('reaps a released row whose object is gone, and keeps every other row', async () => {
    const { metadata, remote } = await setup()
    await reference(metadata, 'gone/0', 'blocks/mm/gone', { refCount: 0 })
    await reference(metadata, 'held/0', 'blocks/mm/held', { refCount: 0 })
    await metadata.putPayload({ id: 'held', size: 10, createdAt: 1, modifiedAt: 1 })
    await reference(metadata, 'counted/0', 'blocks/mm/counted', { refCount: 1 })
    await reference(metadata, 'present/0', 'blocks/mm/present', { refCount: 0 })
    await reference(metadata, 'cached/0', 'blocks/mm/cached', { refCount: 0, localPath: '/x' })
    await remote.writeBlock('blocks/mm/present', bytes(10))
    const r = await collectGarbage({ metadata, remote, now: later })
    assert.equal(r.rowsReaped, 1)
    await assert.rejects(metadata.getFileBlock('gone/0'))
    for (const id of ['held/0', 'counted/0', 'present/0', 'cached/0'])
      await metadata.getFileBlock(id)
    assert.deepEqual(await keys(remote), ['blocks/mm/present'])
  })
})
