/**
 * Conformance cases beyond the Go suite: range validation (bad ranges are errors, never a
 * crash or a silent "not found"), aborts, awkward keys, 8 MiB objects, pagination, prefix
 * isolation, sizes and counts, parallel writes.
 */
import assert from 'node:assert/strict'
import { BlockSize } from '../core/constants.js'
import { forEachBounded } from '../core/for-each-bounded.js'
import { bytes, collect, listKeys, pattern, rejectsCode } from './remote-store-assert.js'
import type { RemoteSuiteContext } from './remote-store-context.js'

/** Keys every backend must store, list and return unchanged. */
export const AWKWARD_KEYS: readonly string[] = [
  'export/my file.txt/block-0',
  'export/ünïcødé/日本語/block-1',
  'export/a+b=c/block-2',
  'export/100%/%2F%25/block-3',
  'export/dir/block-9/inner/block-4',
  'export/~tilde & ampersand!/block-5',
  'export/quote\'"/(paren)[br]{cu}/block-6',
  'export/emoji 🎉/block-7',
]

/** Registers the cases beyond the Go suite. */
export function registerEdgeCases(ctx: RemoteSuiteContext): void {
  const { it } = ctx.harness

  it('readBlockRange rejects BS_INVALID_OFFSET for bad or past-the-end offsets', async () => {
    const s = ctx.store()
    await s.writeBlock('r/block-0', bytes('0123456789'))
    for (const offset of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, 10, 11, 1e6]) {
      await rejectsCode(s.readBlockRange('r/block-0', offset, 1), 'BS_INVALID_OFFSET')
    }
  })

  it('readBlockRange rejects BS_INVALID_SIZE for bad lengths and overflowing ranges', async () => {
    const s = ctx.store()
    await s.writeBlock('r/block-0', bytes('0123456789'))
    for (const length of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      await rejectsCode(s.readBlockRange('r/block-0', 0, length), 'BS_INVALID_SIZE')
    }
    await rejectsCode(
      s.readBlockRange('r/block-0', Number.MAX_SAFE_INTEGER - 1, 10),
      'BS_INVALID_SIZE',
    )
  })

  it('an empty object reads back empty and has no readable offset', async () => {
    const s = ctx.store()
    await s.writeBlock('empty/block-0', new Uint8Array(0))
    assert.equal((await s.readBlock('empty/block-0')).byteLength, 0)
    assert.equal((await s.statBlock('empty/block-0'))?.size, 0)
    if (ctx.emptyObjectRangeReads) {
      await rejectsCode(s.readBlockRange('empty/block-0', 0, 1), 'BS_INVALID_OFFSET')
    }
  })

  it('every operation rejects with the reason of an already aborted signal', async () => {
    const s = ctx.store()
    await s.writeBlock('a/block-0', bytes('x'))
    const reason = new Error('caller gave up')
    const signal = AbortSignal.abort(reason)
    const opts = { signal }
    const same = (err: unknown): boolean => err === reason
    await assert.rejects(s.writeBlock('a/block-1', bytes('x'), opts), same)
    await assert.rejects(s.readBlock('a/block-0', opts), same)
    await assert.rejects(s.readBlockRange('a/block-0', 0, 1, opts), same)
    await assert.rejects(s.statBlock('a/block-0', opts), same)
    await assert.rejects(s.deleteBlock('a/block-0', opts), same)
    await assert.rejects(collect(s.listObjects('a/', opts)), same)
    assert.deepEqual(await listKeys(s, ''), ['a/block-0'])
  })

  it('100 parallel writes all land intact', async () => {
    const s = ctx.store()
    const keys = Array.from({ length: 100 }, (_, i) => `par/block-${i}`)
    await Promise.all(keys.map((k, i) => s.writeBlock(k, pattern(1000 + i, i))))
    await forEachBounded(keys, 16, async (k, i) => {
      assert.deepEqual(await s.readBlock(k), pattern(1000 + i, i))
    })
    assert.equal((await listKeys(s, 'par/')).length, 100)
  })

  it('keys with spaces, unicode, +, % and /block- inside directory names round-trip', async () => {
    const s = ctx.store()
    for (const [i, k] of AWKWARD_KEYS.entries()) await s.writeBlock(k, bytes(`v${i}`))
    for (const [i, k] of AWKWARD_KEYS.entries())
      assert.deepEqual(await s.readBlock(k), bytes(`v${i}`))
    const listed = await listKeys(s, 'export/')
    assert.deepEqual(listed, [...AWKWARD_KEYS].sort(byUtf8))
    assert.deepEqual(await listKeys(s, 'export/dir/block-9/'), ['export/dir/block-9/inner/block-4'])
    for (const [i, k] of AWKWARD_KEYS.entries()) {
      assert.equal((await s.statBlock(k))?.size, bytes(`v${i}`).length, k)
      await s.deleteBlock(k)
    }
    assert.deepEqual(await listKeys(s, ''), [])
  })

  it('8 MiB objects round-trip whole and by range', async () => {
    const s = ctx.store()
    const data = pattern(BlockSize, 8)
    await s.writeBlock('big/block-0', data)
    assert.deepEqual(await s.readBlock('big/block-0'), data)
    const tail = await s.readBlockRange('big/block-0', BlockSize - 4096, 1 << 20)
    assert.deepEqual(tail, data.subarray(BlockSize - 4096))
    const mid = await s.readBlockRange('big/block-0', 3_000_000, 1_000_000)
    assert.deepEqual(mid, data.subarray(3_000_000, 4_000_000))
    assert.equal((await s.statBlock('big/block-0'))?.size, BlockSize)
  })

  it('listing pages through more than 1,000 keys in ascending order', async () => {
    const s = ctx.store()
    const keys = Array.from({ length: ctx.paginationKeys }, (_, i) => `many/block-${i}`)
    await forEachBounded(keys, 32, (k) => s.writeBlock(k, bytes('.')))
    await s.writeBlock('manz/block-0', bytes('outside'))
    const objects = await collect(s.listObjects('many/'))
    assert.deepEqual(
      objects.map((o) => o.key),
      [...keys].sort(byUtf8),
    )
    assert.ok(objects.every((o) => o.size === 1))
  })

  it('prefix operations never match a sibling that merely starts alike', async () => {
    const s = ctx.store()
    for (const k of ['a/block-0', 'a-b/block-0', 'prefix1/block-0', 'prefix10/block-0']) {
      await s.writeBlock(k, bytes(k))
    }
    assert.deepEqual(await listKeys(s, 'a/'), ['a/block-0'])
    assert.deepEqual(await listKeys(s, 'prefix1/'), ['prefix1/block-0'])
    // Without the slash both match (sorted here: s3rver lists "a/" before "a-").
    assert.deepEqual((await listKeys(s, 'a')).sort(byUtf8), ['a-b/block-0', 'a/block-0'])
    assert.deepEqual((await listKeys(s, 'prefix1')).sort(byUtf8), [
      'prefix1/block-0',
      'prefix10/block-0',
    ])
  })

  it('statBlock and listObjects report real sizes and recent times', async () => {
    const s = ctx.store()
    const before = Date.now()
    await s.writeBlock('st/block-0', pattern(1234, 1))
    await s.writeBlock('st/block-1', pattern(5, 2))
    const st = await s.statBlock('st/block-0')
    assert.equal(st?.key, 'st/block-0')
    assert.equal(st?.size, 1234)
    // Server clocks and second-granular timestamps: a generous window.
    assert.ok(Math.abs(st.lastModified - before) < 120_000, `lastModified ${st.lastModified}`)
    assert.equal(await s.statBlock('st/block-2'), undefined)
    const listed = await collect(s.listObjects('st/'))
    assert.deepEqual(
      listed.map((o) => [o.key, o.size]),
      [
        ['st/block-0', 1234],
        ['st/block-1', 5],
      ],
    )
    for (const o of listed) assert.ok(Math.abs(o.lastModified - before) < 120_000)
  })

  it('stats count requests and payload bytes', async () => {
    const s = ctx.store()
    const start = s.stats()
    await s.writeBlock('c/block-0', pattern(300, 3))
    await s.readBlock('c/block-0')
    await s.readBlockRange('c/block-0', 100, 50)
    const end = s.stats()
    assert.ok(end.bytesUploaded - start.bytesUploaded >= 300)
    assert.ok(end.bytesDownloaded - start.bytesDownloaded >= 350)
    const total = (st: typeof end): number => Object.values(st.requests).reduce((a, b) => a + b, 0)
    assert.ok(total(end) - total(start) >= 3)
  })
}

function byUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}
