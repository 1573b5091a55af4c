/**
 * BlockStore conformance: `renamePayload` and whole-payload replacements (`beginReplace`).
 * A rename replaces its destination in one step; a replacement is invisible until committed
 * and leaves its payload untouched when aborted.
 */
import assert from 'node:assert/strict'
import { BlockSize } from '../../core/constants.js'
import { isBlockStoreError } from '../../core/errors.js'
import type { Harness } from '../harness.js'
import {
  type BlockStoreFixture,
  type BlockStoreSuiteContext,
  pattern,
  readAll,
  withRestart,
} from './fixture.js'

const code = (c: string) => (err: unknown) => isBlockStoreError(err) && err.code === c

async function ids(f: BlockStoreFixture): Promise<string[]> {
  return (await f.store.listPayloads()).items.map((r) => r.id)
}

/** Registers the rename and replacement cases. */
export function describeRename(h: Harness, ctx: BlockStoreSuiteContext): void {
  const fx = ctx.fixture
  h.it('rename onto a new ID moves the content and removes the source', async () => {
    const { store } = fx()
    const data = pattern(BlockSize + 100, 31)
    await store.writeAt('ren/src', data, 0)
    await store.renamePayload('ren/src', 'ren/dst')
    assert.deepEqual(await readAll(store, 'ren/dst'), data)
    assert.equal(await store.exists('ren/src'), false)
    await assert.rejects(
      store.readAt('ren/src', new Uint8Array(1), 0),
      code('BS_CONTENT_NOT_FOUND'),
    )
    assert.deepEqual(await ids(fx()), ['ren/dst'])
    assert.equal((await store.stat('ren/dst')).size, data.length)
  })

  h.it('rename onto an existing payload replaces it whole', async () => {
    const { store } = fx()
    const old = pattern(3 * BlockSize + 7, 32)
    await store.writeAt('ren/d', old, 0)
    await store.flush('ren/d')
    // Unflushed writes to the destination go with its old content.
    await store.writeAt('ren/d', pattern(10, 39), 5 * BlockSize)
    const data = pattern(1000, 33)
    await store.writeAt('ren/s', data, 0)
    await store.flush('ren/s')
    await store.renamePayload('ren/s', 'ren/d')
    assert.equal(await store.getSize('ren/d'), 1000)
    assert.deepEqual(await readAll(store, 'ren/d'), data)
    // A later extension reads zeros, never the old blocks.
    await store.truncate('ren/d', 2 * BlockSize)
    const grown = await readAll(store, 'ren/d')
    assert.deepEqual(grown.subarray(0, 1000), data)
    assert.ok(grown.subarray(1000).every((b) => b === 0))
    assert.deepEqual(await ids(fx()), ['ren/d'])
  })

  h.it('rename of a payload with a hole and an empty payload keeps their sizes', async () => {
    const { store } = fx()
    await store.writeAt('ren/h', pattern(10, 34), 2 * BlockSize)
    await store.renamePayload('ren/h', 'ren/h2')
    const all = await readAll(store, 'ren/h2')
    assert.equal(all.length, 2 * BlockSize + 10)
    assert.ok(all.subarray(0, 2 * BlockSize).every((b) => b === 0))
    await store.truncate('ren/e', 0)
    await store.renamePayload('ren/e', 'ren/h2')
    assert.equal(await store.getSize('ren/h2'), 0)
  })

  h.it('rename rejects a missing source, bad and reserved IDs, changing nothing', async () => {
    const { store } = fx()
    const keep = pattern(50, 35)
    await store.writeAt('ren/keep', keep, 0)
    await store.flush('ren/keep')
    await assert.rejects(store.renamePayload('ren/none', 'ren/keep'), code('BS_CONTENT_NOT_FOUND'))
    await assert.rejects(store.renamePayload('', 'ren/keep'), code('BS_INVALID_PAYLOAD_ID'))
    await assert.rejects(store.renamePayload('ren/keep', '/x'), code('BS_INVALID_PAYLOAD_ID'))
    await assert.rejects(
      store.renamePayload('ren/keep', '.ditto/staging/x'),
      code('BS_INVALID_ARGUMENT'),
    )
    await assert.rejects(store.renamePayload('.ditto/x', 'ren/keep'), code('BS_INVALID_ARGUMENT'))
    for (const call of [
      () => store.writeAt('.ditto/staging/a', pattern(1), 0),
      () => store.readAt('.ditto/staging/a', new Uint8Array(1), 0),
      () => store.exists('.ditto/a'),
      () => store.truncate('.ditto/a', 0),
      () => store.beginReplace('.ditto/a'),
    ]) {
      await assert.rejects(call(), code('BS_INVALID_ARGUMENT'))
    }
    assert.deepEqual(await readAll(store, 'ren/keep'), keep)
    assert.deepEqual(await ids(fx()), ['ren/keep'])
    // Onto itself: nothing moves, the content stays.
    await store.renamePayload('ren/keep', 'ren/keep')
    assert.deepEqual(await readAll(store, 'ren/keep'), keep)
    await assert.rejects(store.renamePayload('ren/none', 'ren/none'), code('BS_CONTENT_NOT_FOUND'))
  })

  h.it(
    'rename is safe against concurrent reads, writes, truncates, flushes and copies',
    async () => {
      const { store } = fx()
      const a = pattern(3000, 61)
      const b = pattern(5000, 62)
      const x = pattern(100, 63)
      const isPrefixOf = (got: Uint8Array, of: Uint8Array) =>
        got.length <= of.length && got.every((v, i) => v === of[i])
      for (const truncating of [false, true]) {
        await store.writeAt('cc/d', a, 0)
        await store.flush('cc/d')
        await store.writeAt('cc/s', b, 0)
        const reads = Array.from({ length: 8 }, async () => {
          const out = new Uint8Array(8192)
          const n = await store.readAt('cc/d', out, 0)
          const got = out.subarray(0, n)
          assert.ok(isPrefixOf(got, a) || isPrefixOf(got, b), `read ${n} bytes of neither`)
        })
        const settled = await Promise.allSettled([
          store.renamePayload('cc/s', 'cc/d'),
          // A copy's own reads are not a snapshot (as under concurrent writes): it may be cut at
          // the source's old size, but never holds bytes of neither version.
          truncating ? store.truncate('cc/d', 10) : store.copyPayload('cc/d', 'cc/copy'),
          store.flush('cc/d'),
          store.writeAt('cc/s', x, 0),
          ...reads,
        ])
        for (const r of settled) {
          assert.equal(r.status, 'fulfilled', String((r as { reason?: unknown }).reason))
        }
        // The write to the source landed before the move (and moved with it) or recreated it.
        const recreated = await store.exists('cc/s')
        const moved = Uint8Array.from(b)
        if (recreated) assert.deepEqual(await readAll(store, 'cc/s'), x)
        else moved.set(x, 0)
        const d = await readAll(store, 'cc/d')
        // A truncate ran before the move (gone with the old content) or after it.
        const cut = truncating && d.length === 10
        assert.ok(isPrefixOf(d, moved) && (cut || d.length === moved.length), `${d.length} bytes`)
        if (!truncating) {
          const copy = await readAll(store, 'cc/copy')
          assert.ok(isPrefixOf(copy, a) || isPrefixOf(copy, moved), `copy of ${copy.length} bytes`)
        }
        for (const id of ['cc/d', 'cc/s', 'cc/copy'])
          if (await store.exists(id)) await store.delete(id)
      }
    },
  )

  h.it('a replacement is invisible until committed, then replaces the payload', async () => {
    const f = fx()
    const { store } = f
    const old = pattern(2 * BlockSize + 3, 36)
    await store.writeAt('rep/p', old, 0)
    await store.flush('rep/p')
    const data = pattern(BlockSize + 9, 37)
    const r = await store.beginReplace('rep/p')
    await r.writeAt(data.subarray(0, 5000), 0)
    await r.writeAt(data.subarray(5000), 5000)
    assert.deepEqual(await readAll(store, 'rep/p'), old)
    assert.deepEqual(await ids(f), ['rep/p'])
    assert.equal((await store.stats()).fileCount, 1)
    const done = await r.commit()
    assert.equal(done.size, data.length)
    assert.equal(done.created, false, 'the payload existed')
    assert.deepEqual(await readAll(store, 'rep/p'), data)
    assert.deepEqual(await ids(f), ['rep/p'])
    await assert.rejects(r.writeAt(pattern(1), 0), code('BS_INVALID_ARGUMENT'))
    await assert.rejects(r.commit(), code('BS_INVALID_ARGUMENT'))
    // An empty replacement creates an empty payload.
    const empty = await store.beginReplace('rep/empty')
    const made = await empty.commit()
    assert.equal(made.size, 0)
    assert.equal(made.created, true, 'a new payload')
    assert.equal(await store.getSize('rep/empty'), 0)
  })

  h.it('a small replacement of a multi-block payload replaces it whole', async () => {
    const f = fx()
    const { store } = f
    const old = pattern(BlockSize + 4000, 41)
    await store.writeAt('rep/s', old, 0)
    await store.flush('rep/s')
    const data = pattern(3000, 42)
    const r = await store.beginReplace('rep/s')
    await r.writeAt(data, 0)
    assert.deepEqual(await readAll(store, 'rep/s'), old)
    const done = await r.commit()
    assert.equal(done.size, data.length)
    assert.equal(done.created, false, 'the payload existed')
    assert.deepEqual(await readAll(store, 'rep/s'), data)
    assert.deepEqual(await ids(f), ['rep/s'])
    // Later writes and flushes apply on top of it as on any content.
    await store.writeAt('rep/s', pattern(10, 43), 2995)
    await store.flush('rep/s')
    const want = new Uint8Array(3005)
    want.set(data, 0)
    want.set(pattern(10, 43), 2995)
    assert.deepEqual(await readAll(store, 'rep/s'), want)
    const fresh = await store.beginReplace('rep/s-new')
    await fresh.writeAt(data, 0)
    assert.equal((await fresh.commit()).created, true, 'a new payload')
    assert.equal((await store.stat('rep/s-new')).size, data.length)
  })

  h.it('an aborted replacement leaves the payload, or its absence, as it was', async () => {
    const f = fx()
    const { store } = f
    const old = pattern(700, 38)
    await store.writeAt('rep/a', old, 0)
    await store.flush('rep/a')
    for (const id of ['rep/a', 'rep/new']) {
      const r = await store.beginReplace(id)
      await r.writeAt(pattern(BlockSize + 1, 40), 0)
      await r.abort()
      await r.abort()
    }
    assert.deepEqual(await readAll(store, 'rep/a'), old)
    assert.equal(await store.exists('rep/new'), false)
    await assert.rejects(store.stat('rep/new'), code('BS_CONTENT_NOT_FOUND'))
    assert.deepEqual(await ids(f), ['rep/a'])
    const stats = await store.stats()
    assert.equal(stats.fileCount, 1)
    assert.equal(stats.contentCount, 1)
  })

  withRestart(h, ctx).it('a rename survives close and reopen', async () => {
    const f = fx()
    const data = pattern(BlockSize + 77, 41)
    await f.store.writeAt('ro/d', pattern(3 * BlockSize, 42), 0)
    await f.store.flush('ro/d')
    await f.store.writeAt('ro/s', data, 0)
    await f.store.renamePayload('ro/s', 'ro/d')
    const r = await f.store.beginReplace('ro/r')
    await r.writeAt(pattern(100, 43), 0)
    await r.commit()
    const again = await ctx.reopen()
    assert.deepEqual(await readAll(again.store, 'ro/d'), data)
    assert.equal(await again.store.exists('ro/s'), false)
    assert.deepEqual(await readAll(again.store, 'ro/r'), pattern(100, 43))
    assert.deepEqual(await ids(again), ['ro/d', 'ro/r'])
  })
}

/** Registers the rename cases that need a remote store. */
export function describeRenameRemote(h: Harness, ctx: BlockStoreSuiteContext): void {
  const fx = ctx.fixture
  h.it('rename replaces a destination whose blocks are remote-only', async () => {
    const f = fx()
    const { store } = f
    await store.writeAt('rr/d', pattern(2 * BlockSize + 5, 51), 0)
    await store.flush('rr/d')
    assert.deepEqual((await store.drainAllUploads()).failed, [])
    await store.evict()
    const data = pattern(BlockSize + 11, 52)
    await store.writeAt('rr/s', data, 0)
    await store.renamePayload('rr/s', 'rr/d')
    assert.deepEqual(await readAll(store, 'rr/d'), data)
    assert.deepEqual((await store.drainAllUploads()).failed, [])
    await store.evict()
    assert.deepEqual(await readAll(store, 'rr/d'), data)
    const rows = await f.metadata.listFileBlocks('rr/d')
    assert.equal((await store.flush('rr/d')).finalized, true, JSON.stringify(rows))
  })

  h.it('rename of a source whose blocks are remote-only keeps them by reference', async () => {
    const f = fx()
    const { store } = f
    const data = pattern(2 * BlockSize + 99, 53)
    await store.writeAt('rr/s2', data, 0)
    await store.flush('rr/s2')
    assert.deepEqual((await store.drainAllUploads()).failed, [])
    await store.evict()
    const before = f.remote!.stats().requests.put ?? 0
    await store.writeAt('rr/d2', pattern(10, 54), 0)
    await store.renamePayload('rr/s2', 'rr/d2')
    assert.equal((await store.flush('rr/d2')).finalized, true)
    assert.equal(f.remote!.stats().requests.put ?? 0, before, 'nothing uploaded again')
    assert.deepEqual(await readAll(store, 'rr/d2'), data)
  })

  withRestart(h, ctx, true).it(
    'a renamed payload survives the loss of the local directory once drained',
    async () => {
      const f = fx()
      const data = pattern(BlockSize + 3, 55)
      await f.store.writeAt('rr/w', pattern(BlockSize * 2, 56), 0)
      await f.store.writeAt('rr/ws', data, 0)
      await f.store.renamePayload('rr/ws', 'rr/w')
      assert.deepEqual((await f.store.drainAllUploads()).failed, [])
      const again = await ctx.reopen({ wipeLocal: true })
      assert.deepEqual(await readAll(again.store, 'rr/w'), data)
      assert.equal(await again.store.exists('rr/ws'), false)
    },
  )
}
