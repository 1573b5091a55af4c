/**
 * Versioned compare-and-set cases: the state transitions of the syncer and local store
 * (two writers of one row must never silently overwrite each other).
 */
import assert from 'node:assert/strict'
import { BlockState } from '../../core/block.js'
import type { Harness } from '../harness.js'
import type { SuiteContext } from './context.js'
import { block, content, hashOf, remoteBlock } from './fixtures.js'

/** Registers the compare-and-put cases. */
export function casCases(h: Harness, ctx: SuiteContext): void {
  h.describe('compareAndPutFileBlock', () => {
    h.it('with expected version 0 creates a missing row at a positive version', async () => {
      const stored = await ctx.store.compareAndPutFileBlock(block('n/0'), 0)
      assert.ok(stored !== undefined && stored.version >= 1)
      assert.equal((await ctx.store.getFileBlock('n/0')).version, stored.version)
    })

    h.it('with expected version 0 loses against an existing row and changes nothing', async () => {
      const stored = await ctx.store.putFileBlock(block('n/1', { dataSize: 1 }))
      assert.equal(
        await ctx.store.compareAndPutFileBlock(block('n/1', { dataSize: 2 }), 0),
        undefined,
      )
      const got = await ctx.store.getFileBlock('n/1')
      assert.equal(got.dataSize, 1)
      assert.equal(got.version, stored.version)
    })

    h.it(
      'with a non-zero expected version loses against a missing row and creates nothing',
      async () => {
        assert.equal(await ctx.store.compareAndPutFileBlock(block('n/2'), 1), undefined)
        assert.deepEqual(await ctx.store.listFileBlocks('n'), [])
      },
    )

    h.it('wins with the current version and stores a greater one', async () => {
      const v1 = await ctx.store.putFileBlock(block('t/0', { state: BlockState.Local }))
      const v2 = await ctx.store.compareAndPutFileBlock(
        { ...v1, state: BlockState.Syncing },
        v1.version,
      )
      assert.ok(v2 !== undefined && v2.version > v1.version)
      assert.equal(v2?.state, BlockState.Syncing)
      assert.deepEqual(content(await ctx.store.getFileBlock('t/0')), content(v2!))
    })

    h.it(
      'lets exactly one of two concurrent Local -> Syncing claims on one version win',
      async () => {
        const local = await ctx.store.putFileBlock(block('t/1', { state: BlockState.Local }))
        const claim = { ...local, state: BlockState.Syncing }
        const results = await Promise.all([
          ctx.store.compareAndPutFileBlock(claim, local.version),
          ctx.store.compareAndPutFileBlock({ ...claim, dataSize: 77 }, local.version),
        ])
        assert.equal(results.filter((r) => r !== undefined).length, 1)
        const got = await ctx.store.getFileBlock('t/1')
        assert.equal(got.version, results.find((r) => r !== undefined)!.version)
        assert.ok(got.version > local.version)
        assert.equal(got.state, BlockState.Syncing)
      },
    )

    h.it('lets exactly one of many concurrent claims win', async () => {
      const local = await ctx.store.putFileBlock(block('t/2', { state: BlockState.Local }))
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          ctx.store.compareAndPutFileBlock(
            { ...local, state: BlockState.Syncing, dataSize: i },
            local.version,
          ),
        ),
      )
      const winners = results.filter((r) => r !== undefined)
      assert.equal(winners.length, 1)
      assert.equal((await ctx.store.getFileBlock('t/2')).dataSize, winners[0]!.dataSize)
    })

    h.it('Syncing -> Remote loses after the row was rewritten and changes nothing', async () => {
      const local = await ctx.store.putFileBlock(block('t/3', { state: BlockState.Local }))
      const syncing = await ctx.store.compareAndPutFileBlock(
        { ...local, state: BlockState.Syncing },
        local.version,
      )
      assert.ok(syncing !== undefined)
      // A write lands during the upload: the local tier rewrites the row.
      const rewritten = await ctx.store.putFileBlock({
        ...syncing,
        state: BlockState.Dirty,
        dataSize: 999,
      })
      const remote = remoteBlock('t/3', 11, { localPath: local.localPath })
      assert.equal(await ctx.store.compareAndPutFileBlock(remote, syncing.version), undefined)
      const got = await ctx.store.getFileBlock('t/3')
      assert.deepEqual(content(got), content(rewritten))
      assert.equal(got.version, rewritten.version)
      assert.equal(await ctx.store.findFileBlockByHash(hashOf(11)), undefined)
    })

    h.it('loses after a reference count change bumped the version', async () => {
      const v1 = await ctx.store.putFileBlock(block('t/4'))
      await ctx.store.incrementRefCount('t/4')
      assert.equal(
        await ctx.store.compareAndPutFileBlock({ ...v1, dataSize: 5 }, v1.version),
        undefined,
      )
      assert.equal((await ctx.store.getFileBlock('t/4')).refCount, 2)
    })

    h.it('indexes the hash of a winning Remote transition for dedup', async () => {
      const syncing = await ctx.store.putFileBlock(block('t/5', { state: BlockState.Syncing }))
      const won = await ctx.store.compareAndPutFileBlock(remoteBlock('t/5', 12), syncing.version)
      assert.ok(won !== undefined)
      assert.equal((await ctx.store.findFileBlockByHash(hashOf(12)))?.id, 't/5')
    })
  })
}
