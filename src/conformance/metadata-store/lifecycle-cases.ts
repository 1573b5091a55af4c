/**
 * Lifecycle and input cases: bad IDs, long IDs, abort signals, close, and persistence.
 */
import assert from 'node:assert/strict'
import { BlockState, type FileBlock } from '../../core/block.js'
import type { MetadataStore } from '../../core/metadata-store.js'
import type { Harness } from '../harness.js'
import { type SuiteContext, withReopen } from './context.js'
import { block, collect, content, hashOf, rejectsWith, remoteBlock } from './fixtures.js'

const BAD_BLOCK_IDS = [
  '',
  'no-index',
  '/0',
  'p/',
  'p/01',
  'p/-1',
  'p/1.5',
  'p/x',
  '../p/0',
  'a/./b/0',
  'a//b/0',
  'nul\0/0',
  '\ud800/0',
  `${'x'.repeat(1025)}/0`,
]
const BAD_PAYLOAD_IDS = ['', '/abs', 'a/../b', 'a//b', 'nul\0', 'lone\udc00', 'é'.repeat(513)]

/** Every contract call made with one block ID / payload ID (used for bad-input and closed cases). */
function everyCall(
  store: MetadataStore,
  blockId: string,
  payloadId: string,
  signal?: AbortSignal,
): Array<[string, () => Promise<unknown>]> {
  const o = signal === undefined ? {} : { signal }
  const row: FileBlock = block(blockId)
  return [
    ['getFileBlock', () => store.getFileBlock(blockId, o)],
    ['putFileBlock', () => store.putFileBlock(row, o)],
    ['compareAndPutFileBlock', () => store.compareAndPutFileBlock(row, 0, o)],
    ['deleteFileBlock', () => store.deleteFileBlock(blockId, o)],
    ['incrementRefCount', () => store.incrementRefCount(blockId, o)],
    ['decrementRefCount', () => store.decrementRefCount(blockId, o)],
    ['listFileBlocks', () => store.listFileBlocks(payloadId, o)],
    ['getPayload', () => store.getPayload(payloadId, o)],
    [
      'putPayload',
      () => store.putPayload({ id: payloadId, size: 0, createdAt: 0, modifiedAt: 0 }, o),
    ],
    ['deletePayload', () => store.deletePayload(payloadId, o)],
  ]
}

function everyQuery(
  store: MetadataStore,
  signal?: AbortSignal,
): Array<[string, () => Promise<unknown>]> {
  const o = signal === undefined ? {} : { signal }
  return [
    ['findFileBlockByHash', () => store.findFileBlockByHash(hashOf(1), o)],
    ['listLocalBlocks', () => store.listLocalBlocks(0, 0, o)],
    ['listRemoteBlocks', () => store.listRemoteBlocks(0, o)],
    ['listUnreferenced', () => store.listUnreferenced(0, o)],
    ['listPayloads', () => store.listPayloads(o)],
    ['referencedRemoteKeys', () => collect(store.referencedRemoteKeys(o))],
  ]
}

/** Registers the lifecycle and input cases. */
export function lifecycleCases(h: Harness, ctx: SuiteContext): void {
  h.describe('input validation', () => {
    h.it('rejects invalid block IDs with BS_INVALID_PAYLOAD_ID and stores nothing', async () => {
      for (const id of BAD_BLOCK_IDS) {
        for (const [name, call] of everyCall(ctx.store, id, 'ok').slice(0, 6)) {
          await assert.rejects(
            call(),
            { code: 'BS_INVALID_PAYLOAD_ID' },
            `${name}(${JSON.stringify(id)})`,
          )
        }
      }
      assert.deepEqual(await ctx.store.listUnreferenced(0), [])
      assert.deepEqual(await ctx.store.listLocalBlocks(0, 0), [])
      assert.deepEqual(await collect(ctx.store.referencedRemoteKeys()), [])
    })

    h.it('rejects invalid payload IDs with BS_INVALID_PAYLOAD_ID', async () => {
      for (const id of BAD_PAYLOAD_IDS) {
        for (const [name, call] of everyCall(ctx.store, 'ok/0', id).slice(6)) {
          await assert.rejects(
            call(),
            { code: 'BS_INVALID_PAYLOAD_ID' },
            `${name}(${JSON.stringify(id)})`,
          )
        }
      }
      assert.deepEqual((await ctx.store.listPayloads()).items, [])
    })

    h.it('rejects a prefix containing NUL with BS_INVALID_PAYLOAD_ID', async () => {
      await rejectsWith(ctx.store.listPayloads({ prefix: 'a\0' }), 'BS_INVALID_PAYLOAD_ID')
    })

    h.it('rejects malformed row fields with BS_INVALID_ARGUMENT', async () => {
      const bad: Array<Partial<FileBlock>> = [
        { dataSize: -1 },
        { dataSize: 1.5 },
        { refCount: -1 },
        { lastAccess: Number.NaN },
        { state: 7 as BlockState },
      ]
      for (const patch of bad) {
        await rejectsWith(ctx.store.putFileBlock(block('f/0', patch)), 'BS_INVALID_ARGUMENT')
      }
      await rejectsWith(ctx.store.getFileBlock('f/0'), 'BS_FILE_BLOCK_NOT_FOUND')
    })

    h.it('stores and lists a payload ID of exactly 1024 UTF-8 bytes', async () => {
      const long = `dir/${'ü'.repeat(510)}`
      const id = `${long}/1073741822`
      await ctx.store.putFileBlock(block(id, { blockStoreKey: `${long}/block-1073741822` }))
      await ctx.store.putPayload({ id: long, size: 1, createdAt: 2, modifiedAt: 3 })
      assert.equal((await ctx.store.getFileBlock(id)).id, id)
      assert.deepEqual(
        (await ctx.store.listFileBlocks(long)).map((r) => r.id),
        [id],
      )
      assert.equal((await ctx.store.getPayload(long))?.id, long)
    })
  })

  h.describe('abort and close', () => {
    h.it('rejects with the signal reason when the signal is already aborted', async () => {
      const controller = new AbortController()
      const reason = new Error('stop')
      controller.abort(reason)
      const calls = [
        ...everyCall(ctx.store, 'ok/0', 'ok', controller.signal),
        ...everyQuery(ctx.store, controller.signal),
      ]
      for (const [name, call] of calls) {
        await assert.rejects(call(), (err) => err === reason, name)
      }
      await rejectsWith(ctx.store.getFileBlock('ok/0'), 'BS_FILE_BLOCK_NOT_FOUND')
    })

    h.it(
      'rejects every call with BS_STORE_CLOSED after close, and close is idempotent',
      async () => {
        await ctx.store.putFileBlock(block('ok/0'))
        await ctx.store.close()
        await ctx.store.close()
        for (const [name, call] of [
          ...everyCall(ctx.store, 'ok/0', 'ok'),
          ...everyQuery(ctx.store),
        ]) {
          await assert.rejects(call(), { code: 'BS_STORE_CLOSED' }, name)
        }
      },
    )

    h.it('supports await using through Symbol.asyncDispose', async () => {
      const store = ctx.store
      {
        await using _ = store
      }
      await rejectsWith(store.getFileBlock('ok/0'), 'BS_STORE_CLOSED')
    })
  })

  h.describe('persistence', () => {
    withReopen(h, ctx).it(
      'keeps rows, versions, hashes and payload records across close and reopen',
      async () => {
        const a = await ctx.store.putFileBlock(remoteBlock('keep/a/0', 21, { refCount: 2 }))
        const b = await ctx.store.putFileBlock(block('keep/a/1', { state: BlockState.Local }))
        await ctx.store.incrementRefCount('keep/a/1')
        await ctx.store.putPayload({ id: 'keep/a', size: 77, createdAt: 5, modifiedAt: 6 })
        const store = await ctx.reopen!()
        assert.deepEqual(content(await store.getFileBlock('keep/a/0')), content(a))
        const b2 = await store.getFileBlock('keep/a/1')
        assert.deepEqual(content(b2), { ...content(b), refCount: 2 })
        assert.ok(b2.version > b.version)
        assert.equal((await store.findFileBlockByHash(hashOf(21)))?.id, 'keep/a/0')
        assert.deepEqual(await store.getPayload('keep/a'), {
          id: 'keep/a',
          size: 77,
          createdAt: 5,
          modifiedAt: 6,
        })
        assert.equal(await store.compareAndPutFileBlock(b2, b.version), undefined)
        assert.ok(await store.compareAndPutFileBlock(b2, b2.version))
      },
    )
  })
}
