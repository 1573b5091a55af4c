/**
 * Scale cases: a 10,000-block payload and a streamed live set of 5,000+ remote keys.
 */
import assert from 'node:assert/strict'
import { BlockState } from '../../core/block.js'
import type { Harness } from '../harness.js'
import type { SuiteContext } from './context.js'
import { block, collect, putAll } from './fixtures.js'

/** Registers the scale cases. */
export function scaleCases(h: Harness, ctx: SuiteContext): void {
  h.describe('scale', () => {
    h.it('lists a 10,000-block payload in numeric order', async () => {
      const n = 10_000
      // Inserted in a scrambled order so storage order cannot give the answer.
      const order = Array.from({ length: n }, (_, i) => (i * 7919) % n)
      await putAll(ctx.store, [
        ...order.map((i) => block(`big/file/${i}`, { dataSize: i })),
        block('big/file-other/0'),
        block('big/0'),
      ])
      const rows = await ctx.store.listFileBlocks('big/file')
      assert.equal(rows.length, n)
      rows.forEach((row, i) => {
        assert.equal(row.id, `big/file/${i}`)
        assert.equal(row.dataSize, i)
      })
    })

    h.it('streams every remote key of 5,001 rows, and no empty key', async () => {
      const n = 5001
      await putAll(ctx.store, [
        ...Array.from({ length: n }, (_, i) =>
          block(`keys/${i}`, { state: BlockState.Remote, blockStoreKey: `keys/block-${i}` }),
        ),
        block('keys-none/0'),
      ])
      const keys = await collect(ctx.store.referencedRemoteKeys())
      assert.ok(!keys.includes(''))
      const unique = new Set(keys)
      assert.equal(unique.size, n)
      for (let i = 0; i < n; i++) assert.ok(unique.has(`keys/block-${i}`), `keys/block-${i}`)
    })

    h.it('yields a deduplicated key shared by several rows at least once', async () => {
      await putAll(ctx.store, [
        block('s/0', { state: BlockState.Remote, blockStoreKey: 'donor/block-0' }),
        block('s/1', { state: BlockState.Remote, blockStoreKey: 'donor/block-0' }),
        block('s/2', { state: BlockState.Local, blockStoreKey: 'old/block-2' }),
      ])
      const keys = new Set(await collect(ctx.store.referencedRemoteKeys()))
      assert.deepEqual([...keys].sort(), ['donor/block-0', 'old/block-2'])
    })
  })
}
