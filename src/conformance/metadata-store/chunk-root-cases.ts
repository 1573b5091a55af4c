/**
 * Chunk root cases: the optional root of a block's chunk index (verified ranged reads) is
 * stored and returned exactly, cleared when a write leaves it out, and absent (not zero) on
 * rows that never had one, in every store.
 */
import assert from 'node:assert/strict'
import { BlockState } from '../../core/block.js'
import type { Harness } from '../harness.js'
import type { SuiteContext } from './context.js'
import { block, hashOf, remoteBlock } from './fixtures.js'

/** Registers the chunk root cases. */
export function chunkRootCases(h: Harness, ctx: SuiteContext): void {
  h.describe('chunk root', () => {
    h.it('is returned exactly as put by get, list, hash lookup and compare-and-set', async () => {
      const root = hashOf(77)
      const row = remoteBlock('cr/0', 5, { chunkRoot: root })
      const put = await ctx.store.putFileBlock(row)
      assert.equal(put.chunkRoot?.toString(), root.toString())
      assert.equal((await ctx.store.getFileBlock('cr/0')).chunkRoot?.toString(), root.toString())
      const [listed] = await ctx.store.listFileBlocks('cr')
      assert.equal(listed?.chunkRoot?.toString(), root.toString())
      const donor = await ctx.store.findFileBlockByHash(hashOf(5))
      assert.equal(donor?.chunkRoot?.toString(), root.toString())
      const other = hashOf(78)
      const cas = await ctx.store.compareAndPutFileBlock({ ...put, chunkRoot: other }, put.version)
      assert.equal(cas?.chunkRoot?.toString(), other.toString())
      assert.equal((await ctx.store.getFileBlock('cr/0')).chunkRoot?.toString(), other.toString())
    })

    h.it('is absent on rows without one, and cleared by a write that leaves it out', async () => {
      await ctx.store.putFileBlock(block('cr/1', { state: BlockState.Local }))
      assert.equal('chunkRoot' in (await ctx.store.getFileBlock('cr/1')), false)
      const put = await ctx.store.putFileBlock(remoteBlock('cr/2', 6, { chunkRoot: hashOf(9) }))
      const cleared = await ctx.store.compareAndPutFileBlock(
        { ...put, state: BlockState.Dirty, chunkRoot: undefined },
        put.version,
      )
      assert.ok(cleared !== undefined)
      assert.equal('chunkRoot' in cleared, false)
      assert.equal('chunkRoot' in (await ctx.store.getFileBlock('cr/2')), false)
    })
  })
}
