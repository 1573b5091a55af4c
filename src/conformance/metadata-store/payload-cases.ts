/**
 * Payload record cases: get, put, delete, prefix filter and paging in UTF-8 byte order.
 */
import assert from 'node:assert/strict'
import type { PayloadRecord } from '../../core/metadata-store.js'
import type { Harness } from '../harness.js'
import type { SuiteContext } from './context.js'
import { block } from './fixtures.js'

function record(id: string, size = 1): PayloadRecord {
  return { id, size, createdAt: 1_700_000_000_000, modifiedAt: 1_700_000_000_500 + size }
}

async function putRecords(ctx: SuiteContext, ids: readonly string[]): Promise<void> {
  for (const id of ids) await ctx.store.putPayload(record(id))
}

async function listAll(
  ctx: SuiteContext,
  prefix: string | undefined,
  limit: number,
): Promise<string[][]> {
  const pages: string[][] = []
  let cursor: string | undefined
  do {
    const page = await ctx.store.listPayloads({ prefix, cursor, limit })
    pages.push(page.items.map((r) => r.id))
    cursor = page.nextCursor
    assert.ok(pages.length < 1000, 'listing does not terminate')
  } while (cursor !== undefined)
  return pages
}

/** Registers the payload record cases. */
export function payloadCases(h: Harness, ctx: SuiteContext): void {
  h.describe('payload records', () => {
    h.it('getPayload resolves undefined for a missing record', async () => {
      assert.equal(await ctx.store.getPayload('none'), undefined)
    })

    h.it('putPayload stores a record that getPayload returns exactly, and upserts', async () => {
      await ctx.store.putPayload(record('share/a.txt', 10))
      assert.deepEqual(await ctx.store.getPayload('share/a.txt'), record('share/a.txt', 10))
      await ctx.store.putPayload(record('share/a.txt', 8 * 1024 * 1024 * 1024))
      assert.deepEqual(
        await ctx.store.getPayload('share/a.txt'),
        record('share/a.txt', 8 * 1024 * 1024 * 1024),
      )
    })

    h.it('returns copies of payload records', async () => {
      const input = { ...record('cp') }
      await ctx.store.putPayload(input)
      ;(input as { size: number }).size = 99
      const got = (await ctx.store.getPayload('cp')) as { size: number }
      got.size = 98
      assert.equal((await ctx.store.getPayload('cp'))?.size, 1)
    })

    h.it('deletePayload resolves true once, then false, and leaves block rows alone', async () => {
      await ctx.store.putPayload(record('gone'))
      await ctx.store.putFileBlock(block('gone/0'))
      assert.equal(await ctx.store.deletePayload('gone'), true)
      assert.equal(await ctx.store.deletePayload('gone'), false)
      assert.equal(await ctx.store.getPayload('gone'), undefined)
      assert.equal((await ctx.store.listFileBlocks('gone')).length, 1)
    })

    h.it('lists in ascending UTF-8 byte order', async () => {
      // UTF-16 order would put U+1F600 (surrogates D83D..) before U+FF5E; UTF-8 puts it after.
      const ids = ['b', 'a', 'A', 'a/b', 'a-b', 'é', '\u{ff5e}', '\u{1f600}', 'a0']
      await putRecords(ctx, ids)
      const page = await ctx.store.listPayloads()
      assert.deepEqual(
        page.items.map((r) => r.id),
        ['A', 'a', 'a-b', 'a/b', 'a0', 'b', 'é', '\u{ff5e}', '\u{1f600}'],
      )
      assert.equal(page.nextCursor, undefined)
    })

    h.it('filters by plain prefix: "a/" never matches "a-b/" or "a"', async () => {
      await putRecords(ctx, ['a', 'a-b/1', 'a/1', 'a/2/x', 'a/3', 'a0/1', 'b/1', 'a%/1', 'a_/1'])
      const page = await ctx.store.listPayloads({ prefix: 'a/' })
      assert.deepEqual(
        page.items.map((r) => r.id),
        ['a/1', 'a/2/x', 'a/3'],
      )
      assert.deepEqual(
        (await ctx.store.listPayloads({ prefix: 'a%' })).items.map((r) => r.id),
        ['a%/1'],
      )
      assert.deepEqual((await ctx.store.listPayloads({ prefix: 'zzz' })).items, [])
    })

    h.it('pages with a cursor across several pages, each record exactly once', async () => {
      const ids = Array.from({ length: 25 }, (_, i) => `p/${String(i).padStart(2, '0')}`)
      await putRecords(ctx, [...ids, 'o/1', 'q/1'])
      const pages = await listAll(ctx, 'p/', 7)
      assert.deepEqual(
        pages.map((p) => p.length),
        [7, 7, 7, 4],
      )
      assert.deepEqual(pages.flat(), ids)
    })

    h.it('omits nextCursor when the last page is exactly full', async () => {
      await putRecords(ctx, ['x/1', 'x/2', 'x/3', 'x/4', 'y/1'])
      const pages = await listAll(ctx, 'x/', 2)
      assert.deepEqual(pages, [
        ['x/1', 'x/2'],
        ['x/3', 'x/4'],
      ])
    })

    h.it('pages through every record without a prefix', async () => {
      const ids = Array.from({ length: 30 }, (_, i) => `r${String(i).padStart(3, '0')}`)
      await putRecords(ctx, ids)
      const pages = await listAll(ctx, undefined, 4)
      assert.equal(pages.length, 8)
      assert.deepEqual(pages.flat(), ids)
    })

    h.it('rejects a non-positive limit with BS_INVALID_ARGUMENT', async () => {
      await assert.rejects(ctx.store.listPayloads({ limit: 0 }), { code: 'BS_INVALID_ARGUMENT' })
    })
  })
}
