/**
 * Dedup donor cases: findFileBlockByHash returns only Remote rows whose CURRENT hash matches.
 */
import assert from 'node:assert/strict'
import { BlockState } from '../../core/block.js'
import { ContentHash } from '../../core/hash.js'
import type { Harness } from '../harness.js'
import type { SuiteContext } from './context.js'
import { block, content, hashOf, remoteBlock } from './fixtures.js'

/** Registers the findFileBlockByHash cases. */
export function hashCases(h: Harness, ctx: SuiteContext): void {
  h.describe('findFileBlockByHash', () => {
    h.it('finds a legacy row (state Dirty with a remote key) with its fields intact', async () => {
      const row = remoteBlock('legacy/0', 1, { state: BlockState.Dirty, dataSize: 1234 })
      await ctx.store.putFileBlock(row)
      const found = await ctx.store.findFileBlockByHash(hashOf(1))
      assert.ok(found !== undefined)
      assert.deepEqual(content(found), content(row))
    })

    h.it('resolves undefined, without error, when no row has the hash', async () => {
      assert.equal(await ctx.store.findFileBlockByHash(hashOf(2)), undefined)
    })

    h.it('never matches the zero hash', async () => {
      await ctx.store.putFileBlock(block('z/0', { state: BlockState.Remote, blockStoreKey: 'k' }))
      assert.equal(await ctx.store.findFileBlockByHash(ContentHash.ZERO), undefined)
    })

    h.it('supports the dedup flow: find a donor, add a reference, count 2', async () => {
      await ctx.store.putFileBlock(remoteBlock('donor/0', 3))
      const donor = await ctx.store.findFileBlockByHash(hashOf(3))
      assert.equal(donor?.id, 'donor/0')
      assert.equal(await ctx.store.incrementRefCount(donor!.id), 2)
    })

    h.it('forgets a deleted row', async () => {
      await ctx.store.putFileBlock(remoteBlock('del/0', 4))
      await ctx.store.deleteFileBlock('del/0')
      assert.equal(await ctx.store.findFileBlockByHash(hashOf(4)), undefined)
    })

    h.it('never returns Local, Syncing, or Dirty rows without a remote key', async () => {
      await ctx.store.putFileBlock(remoteBlock('s/0', 5, { state: BlockState.Local }))
      await ctx.store.putFileBlock(remoteBlock('s/1', 5, { state: BlockState.Syncing }))
      await ctx.store.putFileBlock(block('s/2', { hash: hashOf(5), state: BlockState.Dirty }))
      assert.equal(await ctx.store.findFileBlockByHash(hashOf(5)), undefined)
    })

    h.it('never returns a row whose hash changed since (stale index)', async () => {
      const stored = await ctx.store.putFileBlock(remoteBlock('st/0', 6))
      await ctx.store.putFileBlock({ ...stored, hash: hashOf(7) })
      assert.equal(await ctx.store.findFileBlockByHash(hashOf(6)), undefined)
      assert.equal((await ctx.store.findFileBlockByHash(hashOf(7)))?.id, 'st/0')
      // Rewritten after sync: hash cleared, back to Dirty.
      await ctx.store.putFileBlock(block('st/0'))
      assert.equal(await ctx.store.findFileBlockByHash(hashOf(7)), undefined)
    })

    h.it(
      'keeps other rows with the same hash findable when one is deleted or changed',
      async () => {
        await ctx.store.putFileBlock(remoteBlock('dup/0', 8))
        await ctx.store.putFileBlock(remoteBlock('dup/1', 8))
        await ctx.store.putFileBlock(remoteBlock('dup/2', 8))
        await ctx.store.deleteFileBlock('dup/0')
        await ctx.store.putFileBlock(remoteBlock('dup/1', 9))
        assert.equal((await ctx.store.findFileBlockByHash(hashOf(8)))?.id, 'dup/2')
      },
    )

    h.it('returns a copy', async () => {
      await ctx.store.putFileBlock(remoteBlock('cp/0', 10))
      const found = await ctx.store.findFileBlockByHash(hashOf(10))
      found!.refCount = 50
      assert.equal((await ctx.store.getFileBlock('cp/0')).refCount, 1)
    })
  })
}
