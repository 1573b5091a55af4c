/**
 * Garbage collection support: the run lock (one holder across handles) and deletion fences
 * (a fenced key can gain no reference; a referenced key cannot be fenced).
 */
import assert from 'node:assert/strict'
import type { GcLock } from '../../core/metadata-store.js'
import type { Harness } from '../harness.js'
import { type SuiteContext, withPeer } from './context.js'
import { block, rejectsWith, remoteBlock } from './fixtures.js'

async function acquire(ctx: SuiteContext): Promise<GcLock> {
  const lock = await ctx.store.tryAcquireGcLock()
  assert.ok(lock !== undefined, 'the lock should be free')
  return lock
}

/** Registers the garbage collection lock and fence cases. */
export function gcCases(h: Harness, ctx: SuiteContext): void {
  h.describe('garbage collection lock and fences', () => {
    h.it('grants the gc lock to one holder at a time and again after release', async () => {
      const lock = await acquire(ctx)
      assert.equal(await ctx.store.tryAcquireGcLock(), undefined)
      await lock.release()
      await lock.release()
      const again = await acquire(ctx)
      await again.release()
    })

    h.it('refuses to fence a key that a row references', async () => {
      const row = await ctx.store.putFileBlock(remoteBlock('gc/0', 1))
      const lock = await acquire(ctx)
      try {
        assert.equal(await lock.fenceUnreferenced(row.blockStoreKey), false)
        assert.deepEqual(await lock.fencedKeys(), [])
      } finally {
        await lock.release()
      }
    })

    h.it('rejects BS_BUSY for any put of a row carrying a fenced key, until unfenced', async () => {
      const key = 'blocks/aa/fenced'
      const lock = await acquire(ctx)
      try {
        assert.equal(await lock.fenceUnreferenced(key), true)
        assert.deepEqual(await lock.fencedKeys(), [key])
        await rejectsWith(
          ctx.store.putFileBlock(remoteBlock('gc/1', 2, { blockStoreKey: key })),
          'BS_BUSY',
        )
        await rejectsWith(
          ctx.store.compareAndPutFileBlock(remoteBlock('gc/1', 2, { blockStoreKey: key }), 0),
          'BS_BUSY',
        )
        const plain = await ctx.store.putFileBlock(block('gc/1'))
        await rejectsWith(
          ctx.store.compareAndPutFileBlock(
            remoteBlock('gc/1', 2, { blockStoreKey: key }),
            plain.version,
          ),
          'BS_BUSY',
        )
        assert.equal((await ctx.store.getFileBlock('gc/1')).blockStoreKey, '')
        // Other keys are untouched by the fence.
        await ctx.store.putFileBlock(remoteBlock('gc/2', 3))
        await lock.unfence(key)
        await lock.unfence(key)
        const stored = await ctx.store.compareAndPutFileBlock(
          remoteBlock('gc/1', 2, { blockStoreKey: key }),
          plain.version,
        )
        assert.equal(stored?.blockStoreKey, key)
        assert.equal(await lock.fenceUnreferenced(key), false)
      } finally {
        await lock.release()
      }
    })

    h.it('keeps fences after release so the next holder finds the leftovers', async () => {
      const lock = await acquire(ctx)
      assert.equal(await lock.fenceUnreferenced('blocks/bb/left'), true)
      await lock.release()
      await rejectsWith(lock.fenceUnreferenced('blocks/bb/other'), 'BS_UNAVAILABLE')
      const next = await acquire(ctx)
      try {
        assert.deepEqual(await next.fencedKeys(), ['blocks/bb/left'])
        await next.unfence('blocks/bb/left')
        assert.deepEqual(await next.fencedKeys(), [])
      } finally {
        await next.release()
      }
    })

    h.it('lets exactly one of 20 concurrent fence-or-reference races win per key', async () => {
      const lock = await acquire(ctx)
      try {
        const outcomes = await Promise.all(
          Array.from({ length: 20 }, async (_, i) => {
            const key = `blocks/cc/race-${i}`
            const [fenced, put] = await Promise.allSettled([
              lock.fenceUnreferenced(key),
              ctx.store.putFileBlock(remoteBlock(`gc-race/${i}`, 4, { blockStoreKey: key })),
            ])
            const referenced = put.status === 'fulfilled'
            const wasFenced = fenced.status === 'fulfilled' && fenced.value
            return referenced !== wasFenced
          }),
        )
        assert.deepEqual(outcomes, Array(20).fill(true))
      } finally {
        await lock.release()
      }
    })

    withPeer(h, ctx).it(
      'excludes a second handle (another process or node) from the lock and fences',
      async () => {
        const peer = await ctx.openPeer!()
        const lock = await acquire(ctx)
        try {
          assert.equal(await peer.tryAcquireGcLock(), undefined)
          assert.equal(await lock.fenceUnreferenced('blocks/dd/peer'), true)
          await rejectsWith(
            peer.putFileBlock(remoteBlock('gc/3', 5, { blockStoreKey: 'blocks/dd/peer' })),
            'BS_BUSY',
          )
          await lock.unfence('blocks/dd/peer')
          await lock.release()
          const peerLock = await peer.tryAcquireGcLock()
          assert.ok(peerLock !== undefined)
          assert.equal(await ctx.store.tryAcquireGcLock(), undefined)
          await peerLock.release()
        } finally {
          await lock.release()
          await peer.close()
        }
      },
    )
  })
}
