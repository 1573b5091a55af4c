/**
 * Row cases: round trips, byte-identical fields, copies, versions and deletion.
 */
import assert from 'node:assert/strict'
import { BlockState } from '../../core/block.js'
import { ContentHash } from '../../core/hash.js'
import { findFileBlock } from '../../core/rows.js'
import type { Harness } from '../harness.js'
import type { SuiteContext } from './context.js'
import { block, content, hashOf, rejectsWith, remoteBlock } from './fixtures.js'

/** Registers the row cases. */
export function blockCases(h: Harness, ctx: SuiteContext): void {
  h.describe('block rows', () => {
    h.it('getFileBlock returns every field exactly as put', async () => {
      const row = remoteBlock('p/q/7', 3, {
        dataSize: 8 * 1024 * 1024,
        localPath: '/var/lib/ditto/ü/7.blk',
        blockStoreKey: 'other/payload/block-2',
        refCount: 5,
        lastAccess: 1_700_000_000_123,
        createdAt: 1_600_000_000_456,
      })
      await ctx.store.putFileBlock(row)
      const got = await ctx.store.getFileBlock('p/q/7')
      assert.deepEqual(content(got), content(row))
      assert.ok(got.hash.equals(row.hash))
    })

    h.it(
      'stores the hash whatever the state, and returns the zero hash as ContentHash.ZERO',
      async () => {
        await ctx.store.putFileBlock(block('h/0', { state: BlockState.Local, hash: hashOf(9) }))
        await ctx.store.putFileBlock(block('h/1', { state: BlockState.Remote, localPath: '' }))
        assert.ok((await ctx.store.getFileBlock('h/0')).hash.equals(hashOf(9)))
        const zero = await ctx.store.getFileBlock('h/1')
        assert.ok(zero.hash.isZero())
        assert.ok(zero.hash.equals(ContentHash.ZERO))
        assert.equal(zero.localPath, '')
        assert.equal(zero.blockStoreKey, '')
      },
    )

    h.it('getFileBlock rejects BS_FILE_BLOCK_NOT_FOUND for a missing row', async () => {
      await rejectsWith(ctx.store.getFileBlock('missing/0'), 'BS_FILE_BLOCK_NOT_FOUND')
    })

    h.it(
      'findFileBlock (or getFileBlock behind it) answers undefined or a copy of the row',
      async () => {
        // Through the helper every caller uses: the store's own findFileBlock when it has one.
        assert.equal(await findFileBlock(ctx.store, 'missing/0'), undefined)
        await ctx.store.putFileBlock(block('f/0', { dataSize: 12 }))
        const got = await findFileBlock(ctx.store, 'f/0')
        assert.deepEqual(got, await ctx.store.getFileBlock('f/0'))
        if (got !== undefined) got.dataSize = 1
        assert.equal((await ctx.store.getFileBlock('f/0')).dataSize, 12)
        await rejectsWith(findFileBlock(ctx.store, 'no-index'), 'BS_INVALID_PAYLOAD_ID')
      },
    )

    h.it(
      'hands out copies: mutating the input or a returned row never changes the store',
      async () => {
        const input = block('c/0', { dataSize: 10 })
        const stored = await ctx.store.putFileBlock(input)
        input.dataSize = 99
        stored.dataSize = 98
        const got = await ctx.store.getFileBlock('c/0')
        got.dataSize = 97
        got.state = BlockState.Remote
        const [listed] = await ctx.store.listFileBlocks('c')
        listed!.refCount = 42
        const again = await ctx.store.getFileBlock('c/0')
        assert.equal(again.dataSize, 10)
        assert.equal(again.state, BlockState.Dirty)
        assert.equal(again.refCount, 1)
      },
    )

    h.it(
      'putFileBlock stores a positive version, a greater one on every put, whatever the input version',
      async () => {
        const first = await ctx.store.putFileBlock(block('v/0', { version: 1e9 }))
        assert.ok(Number.isSafeInteger(first.version) && first.version >= 1)
        assert.notEqual(first.version, 1e9)
        const second = await ctx.store.putFileBlock({ ...first, dataSize: 5, version: 0 })
        assert.ok(second.version > first.version)
        assert.equal(second.dataSize, 5)
        assert.equal((await ctx.store.getFileBlock('v/0')).version, second.version)
      },
    )

    h.it('putFileBlock overwrites every column', async () => {
      await ctx.store.putFileBlock(remoteBlock('o/0', 4, { refCount: 3 }))
      await ctx.store.putFileBlock(block('o/0', { refCount: 1, localPath: '' }))
      const got = await ctx.store.getFileBlock('o/0')
      assert.ok(got.hash.isZero())
      assert.equal(got.blockStoreKey, '')
      assert.equal(got.localPath, '')
      assert.equal(got.refCount, 1)
      assert.equal(got.state, BlockState.Dirty)
    })

    h.it(
      'deleteFileBlock removes the row and rejects BS_FILE_BLOCK_NOT_FOUND the second time',
      async () => {
        await ctx.store.putFileBlock(block('d/0'))
        assert.equal(await ctx.store.deleteFileBlock('d/0'), true)
        await rejectsWith(ctx.store.getFileBlock('d/0'), 'BS_FILE_BLOCK_NOT_FOUND')
        await rejectsWith(ctx.store.deleteFileBlock('d/0'), 'BS_FILE_BLOCK_NOT_FOUND')
        assert.deepEqual(await ctx.store.listFileBlocks('d'), [])
      },
    )

    h.it('deleteFileBlock with ifVersion deletes only while the version matches', async () => {
      const stored = await ctx.store.putFileBlock(block('d/1', { refCount: 0 }))
      await ctx.store.incrementRefCount('d/1')
      assert.equal(await ctx.store.deleteFileBlock('d/1', { ifVersion: stored.version }), false)
      const current = await ctx.store.getFileBlock('d/1')
      assert.equal(current.refCount, 1)
      assert.equal(await ctx.store.deleteFileBlock('d/1', { ifVersion: current.version }), true)
      await rejectsWith(ctx.store.getFileBlock('d/1'), 'BS_FILE_BLOCK_NOT_FOUND')
      await rejectsWith(
        ctx.store.deleteFileBlock('d/1', { ifVersion: 1 }),
        'BS_FILE_BLOCK_NOT_FOUND',
      )
    })

    h.it('keeps rows of different payloads apart', async () => {
      await ctx.store.putFileBlock(block('a/0', { dataSize: 1 }))
      await ctx.store.putFileBlock(block('a/0/0', { dataSize: 2 }))
      assert.equal((await ctx.store.getFileBlock('a/0')).dataSize, 1)
      assert.equal((await ctx.store.getFileBlock('a/0/0')).dataSize, 2)
    })
  })
}
