/**
 * Reference count cases: the Go memory store's unit cases and the floor at 0.
 */
import assert from 'node:assert/strict'
import type { Harness } from '../harness.js'
import { type SuiteContext, withPeer } from './context.js'
import { block, rejectsWith } from './fixtures.js'

/** Registers the reference count cases. */
export function refCountCases(h: Harness, ctx: SuiteContext): void {
  h.describe('reference counts', () => {
    h.it('counts 1 +1 = 2, -1 = 1, -1 = 0, and a further -1 stays 0', async () => {
      await ctx.store.putFileBlock(block('rc/0'))
      assert.equal(await ctx.store.incrementRefCount('rc/0'), 2)
      assert.equal(await ctx.store.decrementRefCount('rc/0'), 1)
      assert.equal(await ctx.store.decrementRefCount('rc/0'), 0)
      assert.equal(await ctx.store.decrementRefCount('rc/0'), 0)
      assert.equal((await ctx.store.getFileBlock('rc/0')).refCount, 0)
    })

    h.it('counts 1 + 5 increments = 6, then 3 decrements = 3', async () => {
      await ctx.store.putFileBlock(block('rc/1'))
      for (let i = 0; i < 5; i++) await ctx.store.incrementRefCount('rc/1')
      assert.equal((await ctx.store.getFileBlock('rc/1')).refCount, 6)
      for (let i = 0; i < 3; i++) await ctx.store.decrementRefCount('rc/1')
      assert.equal((await ctx.store.getFileBlock('rc/1')).refCount, 3)
    })

    h.it(
      'rejects BS_FILE_BLOCK_NOT_FOUND when incrementing or decrementing a missing row',
      async () => {
        await rejectsWith(ctx.store.incrementRefCount('nope/0'), 'BS_FILE_BLOCK_NOT_FOUND')
        await rejectsWith(ctx.store.decrementRefCount('nope/0'), 'BS_FILE_BLOCK_NOT_FOUND')
      },
    )

    h.it('bumps the version on every count change and leaves a row at 0 untouched', async () => {
      const stored = await ctx.store.putFileBlock(block('rc/2'))
      await ctx.store.incrementRefCount('rc/2')
      const incremented = await ctx.store.getFileBlock('rc/2')
      assert.ok(incremented.version > stored.version)
      await ctx.store.decrementRefCount('rc/2')
      const once = await ctx.store.getFileBlock('rc/2')
      assert.ok(once.version > incremented.version)
      await ctx.store.decrementRefCount('rc/2')
      const atZero = await ctx.store.getFileBlock('rc/2')
      assert.ok(atZero.version > once.version)
      assert.equal(atZero.refCount, 0)
      await ctx.store.decrementRefCount('rc/2')
      assert.equal((await ctx.store.getFileBlock('rc/2')).version, atZero.version)
    })

    h.it('gives exactly 100 after 100 concurrent increments from 0', async () => {
      await ctx.store.putFileBlock(block('rc/3', { refCount: 0 }))
      const counts = await Promise.all(
        Array.from({ length: 100 }, () => ctx.store.incrementRefCount('rc/3')),
      )
      assert.equal((await ctx.store.getFileBlock('rc/3')).refCount, 100)
      // Every increment saw a distinct count: none was lost or applied twice.
      assert.deepEqual(
        [...counts].sort((a, b) => a - b),
        Array.from({ length: 100 }, (_, i) => i + 1),
      )
    })

    h.it('never goes below 0 under concurrent decrements', async () => {
      await ctx.store.putFileBlock(block('rc/4', { refCount: 10 }))
      await Promise.all(Array.from({ length: 30 }, () => ctx.store.decrementRefCount('rc/4')))
      assert.equal((await ctx.store.getFileBlock('rc/4')).refCount, 0)
    })

    withPeer(h, ctx).it(
      'counts exactly across two handles incrementing concurrently (two nodes)',
      async () => {
        await ctx.store.putFileBlock(block('rc/5', { refCount: 0 }))
        const peer = await ctx.openPeer!()
        try {
          await Promise.all(
            Array.from({ length: 100 }, (_, i) =>
              (i % 2 === 0 ? ctx.store : peer).incrementRefCount('rc/5'),
            ),
          )
          await Promise.all(
            Array.from({ length: 40 }, (_, i) =>
              (i % 2 === 0 ? peer : ctx.store).decrementRefCount('rc/5'),
            ),
          )
          assert.equal((await peer.getFileBlock('rc/5')).refCount, 60)
          assert.equal((await ctx.store.getFileBlock('rc/5')).refCount, 60)
        } finally {
          await peer.close()
        }
      },
    )
  })
}
