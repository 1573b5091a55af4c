/**
 * Versions never repeat for one ID. A compare-and-set carries the version its caller read; if a
 * row deleted and created again at the same ID could climb back to that number, a stale writer
 * (an upload that claimed the old row, say) would win against a row it never saw and store the
 * old bytes' hash on it. Each case builds an old row's version history, replaces the row, then
 * drives the new one through more versions than the old one had, checking every step.
 */
import assert from 'node:assert/strict'
import { BlockState } from '../../core/block.js'
import type { MetadataStore } from '../../core/metadata-store.js'
import type { Harness } from '../harness.js'
import { type SuiteContext, withPeer, withReopen } from './context.js'
import { block, remoteBlock } from './fixtures.js'

/** Steps a row through puts and count changes; returns every version it had, last first. */
async function climb(store: MetadataStore, id: string, steps: number): Promise<number[]> {
  const seen = [(await store.getFileBlock(id)).version]
  for (let i = 0; i < steps; i++) {
    if (i % 3 === 2) await store.incrementRefCount(id)
    else {
      const row = await store.getFileBlock(id)
      await store.putFileBlock({ ...row, dataSize: row.dataSize + 1 })
    }
    seen.unshift((await store.getFileBlock(id)).version)
  }
  return seen
}

/**
 * Drives the row at `id` through `steps` versions, asserting each is new to the ID and that a
 * compare-and-set at any old version (an upload finishing late) loses and changes nothing.
 */
async function assertNoReuse(
  store: MetadataStore,
  id: string,
  old: readonly number[],
  steps: number,
): Promise<void> {
  const retired = new Set(old)
  for (let i = 0; i <= steps; i++) {
    const row = await store.getFileBlock(id)
    assert.ok(!retired.has(row.version), `step ${i}: ${id} is back at version ${row.version}`)
    for (const stale of old) {
      if (stale === row.version) continue
      const late = remoteBlock(id, 33, { localPath: row.localPath })
      assert.equal(await store.compareAndPutFileBlock(late, stale), undefined)
    }
    assert.equal((await store.getFileBlock(id)).version, row.version)
    await store.putFileBlock({ ...row, dataSize: row.dataSize + 1 })
  }
}

/** Registers the version reuse cases. */
export function versionReuseCases(h: Harness, ctx: SuiteContext): void {
  h.describe('versions never repeat for one ID', () => {
    h.it('a row created by compare-and-set after a delete starts above the old row', async () => {
      const s = ctx.store
      const local = await s.putFileBlock(block('vr/a/0', { state: BlockState.Local }))
      const claimed = await s.compareAndPutFileBlock(
        { ...local, state: BlockState.Syncing },
        local.version,
      )
      assert.ok(claimed !== undefined)
      const old = await climb(s, 'vr/a/0', 5)
      assert.equal(await s.deleteFileBlock('vr/a/0'), true)
      assert.ok(await s.compareAndPutFileBlock(block('vr/a/0', { state: BlockState.Dirty }), 0))
      await assertNoReuse(s, 'vr/a/0', [claimed.version, ...old], old.length + 3)
    })

    h.it('a row created by a plain put after a delete starts above the old row', async () => {
      const s = ctx.store
      await s.putFileBlock(block('vr/b/0'))
      const old = await climb(s, 'vr/b/0', 7)
      assert.equal(await s.deleteFileBlock('vr/b/0', { ifVersion: old[0]! }), true)
      await s.putFileBlock(block('vr/b/0'))
      await assertNoReuse(s, 'vr/b/0', old, old.length + 3)
    })

    h.it('a row moved by a rename onto an ID starts above the rows deleted there', async () => {
      const s = ctx.store
      await s.putFileBlock(block('vr/dst/0'))
      const old = await climb(s, 'vr/dst/0', 9)
      assert.equal(await s.deleteFileBlock('vr/dst/0'), true)
      // The source row is young: its own version is far below the deleted row's.
      const src = await s.putFileBlock(block('vr/src/0'))
      await s.putPayload({ id: 'vr/src', size: 1, createdAt: 1, modifiedAt: 2 })
      const expectedVersions = new Map([[0, src.version]])
      assert.equal(await s.renamePayload('vr/src', 'vr/dst', { expectedVersions }), true)
      await assertNoReuse(s, 'vr/dst/0', [src.version, ...old], old.length + 3)
    })

    withPeer(h, ctx).it('holds when another handle deleted the row', async () => {
      const s = ctx.store
      await s.putFileBlock(block('vr/p/0'))
      const old = await climb(s, 'vr/p/0', 6)
      const peer = await ctx.openPeer!()
      try {
        assert.equal(await peer.deleteFileBlock('vr/p/0'), true)
      } finally {
        await peer.close()
      }
      await s.putFileBlock(block('vr/p/0'))
      await assertNoReuse(s, 'vr/p/0', old, old.length + 3)
    })

    withReopen(h, ctx).it('holds across close and reopen', async () => {
      await ctx.store.putFileBlock(block('vr/r/0'))
      const old = await climb(ctx.store, 'vr/r/0', 6)
      assert.equal(await ctx.store.deleteFileBlock('vr/r/0'), true)
      const store = await ctx.reopen!()
      await store.putFileBlock(block('vr/r/0'))
      await assertNoReuse(store, 'vr/r/0', old, old.length + 3)
    })
  })
}
