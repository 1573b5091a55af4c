/**
 * Listing cases: the Go reference's 11 storetest cases plus the listing gaps (payload IDs
 * containing `/`, last-access ordering, `olderThanMs <= 0`, unreferenced rows) and counts.
 */
import assert from 'node:assert/strict'
import { BlockState } from '../../core/block.js'
import type { Harness } from '../harness.js'
import type { SuiteContext } from './context.js'
import { block, content, HOUR, ids, putAll, remoteBlock } from './fixtures.js'

/** Registers the listing cases. */
export function listingCases(h: Harness, ctx: SuiteContext): void {
  h.describe('listLocalBlocks', () => {
    h.it('returns only Local rows that have a local path', async () => {
      const old = Date.now() - HOUR
      await putAll(ctx.store, [
        block('file-1/0', { state: BlockState.Local, lastAccess: old }),
        block('file-1/1', { state: BlockState.Local, lastAccess: old }),
        block('file-2/0', { state: BlockState.Dirty, lastAccess: old }),
        block('file-3/0', { state: BlockState.Remote, lastAccess: old }),
        block('file-4/0', { state: BlockState.Syncing, lastAccess: old }),
        block('file-5/0', { state: BlockState.Local, localPath: '', lastAccess: old }),
      ])
      const rows = await ctx.store.listLocalBlocks(0, 0)
      assert.deepEqual(ids(rows).sort(), ['file-1/0', 'file-1/1'])
    })

    h.it('returns at most limit rows', async () => {
      await putAll(
        ctx.store,
        [0, 1, 2].map((i) => block(`f/${i}`, { state: BlockState.Local })),
      )
      assert.equal((await ctx.store.listLocalBlocks(0, 1)).length, 1)
    })

    h.it('keeps only rows idle longer than olderThanMs', async () => {
      await putAll(ctx.store, [
        block('file-old/0', { state: BlockState.Local, lastAccess: Date.now() - 2 * HOUR }),
        block('file-new/0', { state: BlockState.Local, lastAccess: Date.now() }),
      ])
      assert.deepEqual(ids(await ctx.store.listLocalBlocks(HOUR, 0)), ['file-old/0'])
    })

    h.it('returns nothing for an empty store', async () => {
      assert.deepEqual(await ctx.store.listLocalBlocks(0, 0), [])
    })

    h.it('applies no age filter when olderThanMs <= 0 (a just-flushed row is listed)', async () => {
      await putAll(ctx.store, [
        block('now/0', { state: BlockState.Local, lastAccess: Date.now() + 1000 }),
      ])
      assert.deepEqual(ids(await ctx.store.listLocalBlocks(0, 0)), ['now/0'])
      assert.deepEqual(ids(await ctx.store.listLocalBlocks(-5, 0)), ['now/0'])
    })

    h.it('filters and orders by lastAccess, never by createdAt', async () => {
      const now = Date.now()
      await putAll(ctx.store, [
        // Created long ago but used just now: too young for the filter.
        block('a/0', { state: BlockState.Local, createdAt: now - 10 * HOUR, lastAccess: now }),
        block('b/0', {
          state: BlockState.Local,
          createdAt: now - 1000,
          lastAccess: now - 3 * HOUR,
        }),
        block('c/0', {
          state: BlockState.Local,
          createdAt: now - 9 * HOUR,
          lastAccess: now - 2 * HOUR,
        }),
      ])
      assert.deepEqual(ids(await ctx.store.listLocalBlocks(HOUR, 0)), ['b/0', 'c/0'])
      assert.deepEqual(ids(await ctx.store.listLocalBlocks(0, 0)), ['b/0', 'c/0', 'a/0'])
      assert.deepEqual(ids(await ctx.store.listLocalBlocks(0, 2)), ['b/0', 'c/0'])
    })
  })

  h.describe('listRemoteBlocks', () => {
    h.it('returns Remote rows with a local copy, oldest access first', async () => {
      const now = Date.now()
      await putAll(ctx.store, [
        block('r/1', { state: BlockState.Remote, lastAccess: now - HOUR }),
        block('r/0', { state: BlockState.Remote, lastAccess: now - 2 * HOUR }),
        block('r/2', { state: BlockState.Remote, localPath: '', lastAccess: now - 3 * HOUR }),
        block('l/0', { state: BlockState.Local, lastAccess: now - 4 * HOUR }),
        block('d/0', { state: BlockState.Dirty, lastAccess: now - 5 * HOUR }),
      ])
      assert.deepEqual(ids(await ctx.store.listRemoteBlocks(0)), ['r/0', 'r/1'])
    })

    h.it('sorts before applying the limit', async () => {
      const now = Date.now()
      await putAll(ctx.store, [
        block('r/0', { state: BlockState.Remote, lastAccess: now }),
        block('r/1', { state: BlockState.Remote, lastAccess: now - 2 * HOUR }),
        block('r/2', { state: BlockState.Remote, lastAccess: now - HOUR }),
      ])
      assert.deepEqual(ids(await ctx.store.listRemoteBlocks(1)), ['r/1'])
    })

    h.it('returns nothing for an empty store', async () => {
      assert.deepEqual(await ctx.store.listRemoteBlocks(0), [])
    })
  })

  h.describe('listFileBlocks', () => {
    h.it('returns the rows of one payload in index order with their fields', async () => {
      await putAll(ctx.store, [
        block('file-A/0', { dataSize: 100, state: BlockState.Local }),
        block('file-A/1', { dataSize: 200, state: BlockState.Local }),
        block('file-A/2', { dataSize: 300, state: BlockState.Remote }),
        block('file-B/0'),
        block('file-B/1'),
      ])
      const a = await ctx.store.listFileBlocks('file-A')
      assert.deepEqual(ids(a), ['file-A/0', 'file-A/1', 'file-A/2'])
      assert.deepEqual(
        a.map((r) => [r.dataSize, r.state]),
        [
          [100, BlockState.Local],
          [200, BlockState.Local],
          [300, BlockState.Remote],
        ],
      )
      assert.equal((await ctx.store.listFileBlocks('file-B')).length, 2)
      assert.deepEqual(await ctx.store.listFileBlocks('nonexistent'), [])
    })

    h.it('orders by numeric index, not lexicographically', async () => {
      await putAll(
        ctx.store,
        [0, 5, 10, 2, 7].map((i) => block(`f/${i}`)),
        1,
      )
      assert.deepEqual(ids(await ctx.store.listFileBlocks('f')), [
        'f/0',
        'f/2',
        'f/5',
        'f/7',
        'f/10',
      ])
    })

    h.it('returns rows in every state', async () => {
      const states = [BlockState.Dirty, BlockState.Local, BlockState.Syncing, BlockState.Remote]
      await putAll(
        ctx.store,
        states.map((state, i) => block(`m/${i}`, { state })),
      )
      const rows = await ctx.store.listFileBlocks('m')
      assert.deepEqual(
        rows.map((r) => r.state),
        states,
      )
    })

    h.it('returns an empty list for an empty store', async () => {
      assert.deepEqual(await ctx.store.listFileBlocks('anything'), [])
    })

    h.it('works for payload IDs containing "/" and never mixes nested payloads', async () => {
      await putAll(ctx.store, [
        block('share/dir/file/3'),
        block('share/dir/file/0'),
        block('share/dir/file/12'),
        block('share/dir/file/sub/0'),
        block('share/dir/0'),
        block('share/dir/file-2/0'),
      ])
      assert.deepEqual(ids(await ctx.store.listFileBlocks('share/dir/file')), [
        'share/dir/file/0',
        'share/dir/file/3',
        'share/dir/file/12',
      ])
      assert.deepEqual(ids(await ctx.store.listFileBlocks('share/dir')), ['share/dir/0'])
      assert.deepEqual(ids(await ctx.store.listFileBlocks('share/dir/file/sub')), [
        'share/dir/file/sub/0',
      ])
    })

    h.it('returns byte-identical rows to getFileBlock', async () => {
      await putAll(ctx.store, [block('x/0', { dataSize: 7 }), block('x/1', { dataSize: 9 })])
      const listed = await ctx.store.listFileBlocks('x')
      for (const row of listed)
        assert.deepEqual(content(row), content(await ctx.store.getFileBlock(row.id)))
    })
  })

  h.describe('listBlocksByLocalPath', () => {
    h.it(
      'returns rows of every state whose local path starts with the prefix, by block ID',
      async () => {
        await putAll(ctx.store, [
          block('b/0', { state: BlockState.Local, localPath: 'pack:1:0:100' }),
          block('a/0', { state: BlockState.Dirty, localPath: 'pack:2:0:100' }),
          block('c/0', { state: BlockState.Syncing, localPath: 'pack:1:100:100' }),
          remoteBlock('d/0', 1, { localPath: 'pack:3:0:100' }),
          block('e/0', { state: BlockState.Local, localPath: '/var/blocks/e.0.blk' }),
          block('f/0', { state: BlockState.Local, localPath: 'pac' }),
          block('g/0', { state: BlockState.Local, localPath: '' }),
        ])
        const rows = await ctx.store.listBlocksByLocalPath('pack:', 0)
        assert.deepEqual(ids(rows), ['a/0', 'b/0', 'c/0', 'd/0'])
        assert.equal((await ctx.store.listBlocksByLocalPath('pack:', 2)).length, 2)
        assert.deepEqual(ids(await ctx.store.listBlocksByLocalPath('pack:1:', 0)), ['b/0', 'c/0'])
      },
    )

    h.it('treats the prefix as text, never as a pattern', async () => {
      await putAll(ctx.store, [
        block('x/0', { state: BlockState.Local, localPath: 'a%b_c' }),
        block('y/0', { state: BlockState.Local, localPath: 'aXbYc' }),
      ])
      assert.deepEqual(ids(await ctx.store.listBlocksByLocalPath('a%b_', 0)), ['x/0'])
      assert.deepEqual(await ctx.store.listBlocksByLocalPath('nothing:', 0), [])
    })
  })

  h.describe('listUnreferenced', () => {
    h.it('returns exactly the rows whose reference count is 0, honouring the limit', async () => {
      await putAll(ctx.store, [
        block('u/0', { refCount: 0 }),
        block('u/1', { refCount: 1 }),
        block('u/2', { refCount: 0 }),
        block('u/3', { refCount: 3 }),
      ])
      await ctx.store.decrementRefCount('u/1')
      assert.deepEqual(ids(await ctx.store.listUnreferenced(0)).sort(), ['u/0', 'u/1', 'u/2'])
      assert.equal((await ctx.store.listUnreferenced(2)).length, 2)
    })
  })

  h.describe('countBlocks', () => {
    h.it('counts nothing in an empty store', async () => {
      assert.deepEqual(await ctx.store.countBlocks(), {
        dirty: 0,
        local: 0,
        remote: 0,
        remoteCached: 0,
        oldestUnsyncedAccess: undefined,
        payloads: 0,
      })
    })

    h.it(
      'counts rows by state, cached remote rows, the oldest unsynced access and payloads',
      async () => {
        const now = Date.now()
        await putAll(ctx.store, [
          block('a/0', { state: BlockState.Dirty, lastAccess: now - 5 * HOUR }),
          block('a/1', { state: BlockState.Local, lastAccess: now - HOUR }),
          block('b/0', { state: BlockState.Syncing, lastAccess: now - 2 * HOUR }),
          remoteBlock('c/0', 1, { lastAccess: now - 9 * HOUR }),
          remoteBlock('c/1', 2, { localPath: '', lastAccess: now - 9 * HOUR }),
          remoteBlock('c/2', 3, { localPath: '' }),
        ])
        for (const id of ['a', 'b']) {
          await ctx.store.putPayload({ id, size: 1, createdAt: now, modifiedAt: now })
        }
        assert.deepEqual(await ctx.store.countBlocks(), {
          dirty: 1,
          local: 2,
          remote: 3,
          remoteCached: 1,
          // Remote rows never count: their bytes are safe.
          oldestUnsyncedAccess: now - 5 * HOUR,
          payloads: 2,
        })
        await ctx.store.deleteFileBlock('a/0')
        const after = await ctx.store.countBlocks()
        assert.equal(after.dirty, 0)
        assert.equal(after.oldestUnsyncedAccess, now - 2 * HOUR)
      },
    )
  })
}
