/** BlockStore conformance: read/write semantics, sizes, truncate, delete, copy, bad input. */
import assert from 'node:assert/strict'
import { BlockSize } from '../../core/constants.js'
import { isBlockStoreError } from '../../core/errors.js'
import type { Harness } from '../harness.js'
import { type BlockStoreSuiteContext, pattern, readAll } from './fixture.js'

const code = (c: string) => (err: unknown) => isBlockStoreError(err) && err.code === c

/** Registers the I/O semantics cases. */
export function describeBasics(h: Harness, ctx: BlockStoreSuiteContext): void {
  const fx = ctx.fixture
  h.it('reads back what was written, across block boundaries', async () => {
    const { store } = fx()
    const data = pattern(BlockSize + 4096, 1)
    await store.writeAt('share/dir/file.bin', data, 0)
    assert.deepEqual(await readAll(store, 'share/dir/file.bin'), data)
    assert.equal(await store.getSize('share/dir/file.bin'), data.length)
    assert.ok(await store.exists('share/dir/file.bin'))
  })

  h.it('reads at a sub-block offset', async () => {
    const { store } = fx()
    await store.writeAt('p', new TextEncoder().encode('0123456789abcdef'), 0)
    const out = new Uint8Array(8)
    assert.equal(await store.readAt('p', out, 4), 8)
    assert.equal(new TextDecoder().decode(out), '456789ab')
  })

  h.it('stops reads at the payload size and returns 0 at or past the end', async () => {
    const { store } = fx()
    await store.writeAt('p', pattern(100), 0)
    const out = new Uint8Array(64).fill(0xee)
    assert.equal(await store.readAt('p', out, 80), 20)
    assert.equal(out[20], 0xee, 'bytes past the end are untouched')
    assert.equal(await store.readAt('p', out, 100), 0)
    assert.equal(await store.readAt('p', out, 10_000), 0)
  })

  h.it('rejects reads of an unknown payload with BS_CONTENT_NOT_FOUND', async () => {
    const { store } = fx()
    await assert.rejects(store.readAt('nope', new Uint8Array(4), 0), code('BS_CONTENT_NOT_FOUND'))
    await assert.rejects(store.getSize('nope'), code('BS_CONTENT_NOT_FOUND'))
    assert.equal(await store.exists('nope'), false)
  })

  h.it('reads holes as zeros and keeps the bytes around them', async () => {
    const { store } = fx()
    const a = pattern(1000, 2)
    const b = pattern(1000, 3)
    await store.writeAt('sparse', a, 0)
    await store.writeAt('sparse', b, 3 * BlockSize + 500)
    const all = await readAll(store, 'sparse')
    assert.equal(all.length, 3 * BlockSize + 1500)
    assert.deepEqual(all.subarray(0, 1000), a)
    assert.ok(all.subarray(1000, 3 * BlockSize + 500).every((x) => x === 0))
    assert.deepEqual(all.subarray(3 * BlockSize + 500), b)
  })

  h.it('overwrites in place without disturbing neighbours', async () => {
    const { store } = fx()
    const base = pattern(3 * 4096, 4)
    await store.writeAt('o', base, 0)
    const patch = pattern(100, 5)
    await store.writeAt('o', patch, 4096 + 7)
    const want = base.slice()
    want.set(patch, 4096 + 7)
    assert.deepEqual(await readAll(store, 'o'), want)
  })

  h.it('shrinks and grows with POSIX meaning: regrown bytes read as zeros', async () => {
    const { store } = fx()
    const data = pattern(BlockSize + 5000, 6)
    await store.writeAt('t', data, 0)
    await store.flush('t')
    await store.truncate('t', BlockSize - 10)
    assert.equal(await store.getSize('t'), BlockSize - 10)
    await store.truncate('t', BlockSize + 5000)
    const all = await readAll(store, 't')
    assert.deepEqual(all.subarray(0, BlockSize - 10), data.subarray(0, BlockSize - 10))
    assert.ok(
      all.subarray(BlockSize - 10).every((x) => x === 0),
      'old bytes resurrected',
    )
    await store.truncate('t', 0)
    assert.equal(await store.getSize('t'), 0)
  })

  h.it('creates a payload by truncating it', async () => {
    const { store } = fx()
    await store.truncate('new', 12345)
    assert.equal(await store.getSize('new'), 12345)
    assert.ok((await readAll(store, 'new')).every((x) => x === 0))
  })

  h.it('deletes a payload, and rejects deleting an unknown one', async () => {
    const { store } = fx()
    await store.writeAt('d', pattern(5000), 0)
    await store.flush('d')
    await store.delete('d')
    assert.equal(await store.exists('d'), false)
    await assert.rejects(store.readAt('d', new Uint8Array(1), 0), code('BS_CONTENT_NOT_FOUND'))
    await assert.rejects(store.delete('d'), code('BS_CONTENT_NOT_FOUND'))
    await store.writeAt('d', pattern(10, 9), 0)
    assert.deepEqual(await readAll(store, 'd'), pattern(10, 9), 'a recreated payload is fresh')
  })

  h.it('copies a small local payload: one block, identical bytes', async () => {
    const { store } = fx()
    const data = pattern(48, 7)
    await store.writeAt('src', data, 0)
    assert.equal(await store.copyPayload('src', 'dst'), 1)
    assert.deepEqual(await readAll(store, 'dst'), data)
    assert.deepEqual(await readAll(store, 'src'), data)
  })

  h.it('replaces a larger destination when copying', async () => {
    const { store } = fx()
    await store.writeAt('big', pattern(3 * BlockSize, 8), 0)
    await store.writeAt('small', pattern(10, 9), 0)
    await store.copyPayload('small', 'big')
    assert.deepEqual(await readAll(store, 'big'), pattern(10, 9))
    await store.truncate('empty', 0)
    assert.equal(await store.copyPayload('empty', 'small'), 0)
    assert.equal(await store.getSize('small'), 0)
  })

  h.it('rejects copying an unknown source with BS_CONTENT_NOT_FOUND', async () => {
    const { store } = fx()
    await assert.rejects(store.copyPayload('ghost', 'x'), code('BS_CONTENT_NOT_FOUND'))
    assert.equal(await store.exists('x'), false)
  })

  h.it('serves COW reads from the source only for blocks the primary does not own', async () => {
    const { store } = fx()
    const src = pattern(2 * BlockSize, 10)
    await store.writeAt('orig', src, 0)
    await store.truncate('orig-cow', 2 * BlockSize)
    const mine = pattern(100, 11)
    await store.writeAt('orig-cow', mine, BlockSize + 50)
    const out = new Uint8Array(2 * BlockSize)
    assert.equal(await store.readAtWithCOWSource('orig-cow', 'orig', out, 0), out.length)
    assert.deepEqual(out.subarray(0, BlockSize), src.subarray(0, BlockSize))
    assert.deepEqual(out.subarray(BlockSize + 50, BlockSize + 150), mine)
    assert.ok(
      out.subarray(BlockSize, BlockSize + 50).every((x) => x === 0),
      'primary owns block 1',
    )
  })

  h.it('lists payloads in pages by prefix', async () => {
    const { store } = fx()
    for (const id of ['a/1', 'a/2', 'a/3', 'a-b/1', 'b/1']) {
      await store.writeAt(id, pattern(10), 0)
      await store.flush(id)
    }
    const first = await store.listPayloads({ prefix: 'a/', limit: 2 })
    assert.deepEqual(
      first.items.map((r) => r.id),
      ['a/1', 'a/2'],
    )
    assert.ok(first.nextCursor !== undefined)
    const second = await store.listPayloads({ prefix: 'a/', limit: 2, cursor: first.nextCursor })
    assert.deepEqual(
      second.items.map((r) => r.id),
      ['a/3'],
    )
    assert.equal(second.nextCursor, undefined)
  })

  h.it('rejects bad input with stable codes and changes nothing', async () => {
    const { store } = fx()
    await store.writeAt('ok', pattern(10), 0)
    for (const id of ['', '/abs', 'a/../b', 'a//b', 'x\0y', 'z'.repeat(1025)]) {
      await assert.rejects(store.writeAt(id, pattern(1), 0), code('BS_INVALID_PAYLOAD_ID'), id)
      await assert.rejects(store.readAt(id, new Uint8Array(1), 0), code('BS_INVALID_PAYLOAD_ID'))
    }
    for (const offset of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      await assert.rejects(store.writeAt('ok', pattern(1), offset), code('BS_INVALID_OFFSET'))
      await assert.rejects(store.readAt('ok', new Uint8Array(1), offset), code('BS_INVALID_OFFSET'))
    }
    for (const size of [-1, 1.5, Number.NaN]) {
      await assert.rejects(store.truncate('ok', size), code('BS_INVALID_SIZE'))
    }
    await assert.rejects(store.writeAt('ok', pattern(2), 2 ** 53 - 1), code('BS_TOO_LARGE'))
    assert.deepEqual(await readAll(store, 'ok'), pattern(10))
    const page = await store.listPayloads()
    assert.deepEqual(
      page.items.map((r) => r.id),
      [],
      'nothing flushed, nothing created by the rejected calls',
    )
  })

  h.it('keeps concurrent writers to disjoint ranges of one payload apart', async () => {
    const { store } = fx()
    const parts = Array.from({ length: 8 }, (_, i) => pattern(4096, 20 + i))
    await Promise.all(parts.map((p, i) => store.writeAt('c', p, i * 4096)))
    const all = await readAll(store, 'c')
    for (const [i, p] of parts.entries()) {
      assert.deepEqual(all.subarray(i * 4096, (i + 1) * 4096), p)
    }
  })
}
