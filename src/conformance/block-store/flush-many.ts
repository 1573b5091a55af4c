/** BlockStore conformance: batch flushes (`flushMany`, `flushAll`). */
import assert from 'node:assert/strict'
import { BlockSize } from '../../core/constants.js'
import { isBlockStoreError } from '../../core/errors.js'
import type { Harness } from '../harness.js'
import { type BlockStoreSuiteContext, pattern, readAll, withRestart } from './fixture.js'

const code = (c: string) => (err: unknown) => isBlockStoreError(err) && err.code === c
const idsOf = (list: readonly { payloadId: string }[]): string[] => list.map((r) => r.payloadId)

/** Registers the batch flush cases. */
export function describeFlushMany(h: Harness, ctx: BlockStoreSuiteContext): void {
  const fx = ctx.fixture
  h.it('flushMany flushes each distinct payload once, in the order given', async () => {
    const { store } = fx()
    await store.writeAt('fm/a', pattern(BlockSize + 10, 1), 0)
    await store.writeAt('fm/b', pattern(4096, 2), 0)
    await store.writeAt('fm/c', pattern(100, 3), 0)
    const report = await store.flushMany(['fm/c', 'fm/a', 'fm/c', 'fm/b'])
    assert.deepEqual(report.failures, [])
    assert.deepEqual(idsOf(report.results), ['fm/c', 'fm/a', 'fm/b'])
    for (const r of report.results) assert.equal(typeof r.finalized, 'boolean')
    assert.equal((await store.stats()).blocksDirty, 0, 'no block left unflushed')
    assert.deepEqual(await readAll(store, 'fm/a'), pattern(BlockSize + 10, 1))
    assert.deepEqual(await store.flushMany([]), { results: [], failures: [] })
  })

  h.it('flushMany reports an unknown payload as a failure and flushes the others', async () => {
    const { store } = fx()
    await store.writeAt('fm/known', pattern(10, 4), 0)
    const report = await store.flushMany(['fm/unknown', 'fm/known'])
    assert.deepEqual(idsOf(report.results), ['fm/known'])
    assert.equal(report.failures.length, 1)
    assert.equal(report.failures[0]?.payloadId, 'fm/unknown')
    assert.equal(report.failures[0]?.code, 'BS_CONTENT_NOT_FOUND')
    assert.equal((await store.stats()).blocksDirty, 0)
  })

  h.it('flushMany with one malformed or reserved ID flushes nothing', async () => {
    const { store } = fx()
    await store.writeAt('fm/p', pattern(10, 5), 0)
    const before = (await store.stats()).blocksDirty
    assert.ok(before > 0)
    await assert.rejects(store.flushMany(['fm/p', '']), code('BS_INVALID_PAYLOAD_ID'))
    await assert.rejects(store.flushMany(['fm/p', '.ditto/x']), code('BS_INVALID_ARGUMENT'))
    await assert.rejects(store.flushMany(['fm/p'], { concurrency: 0 }), code('BS_INVALID_ARGUMENT'))
    assert.equal((await store.stats()).blocksDirty, before, 'still unflushed')
  })

  h.it('flushAll flushes every payload changed since its last flush, by ID', async () => {
    const { store } = fx()
    await store.writeAt('fa/z', pattern(5000, 6), 0)
    await store.writeAt('fa/a', pattern(5000, 7), 0)
    await store.writeAt('fa/done', pattern(5000, 8), 0)
    await store.flush('fa/done')
    await store.truncate('fa/grown', 2 * BlockSize)
    const report = await store.flushAll()
    assert.deepEqual(report.failures, [])
    assert.deepEqual(idsOf(report.results), ['fa/a', 'fa/grown', 'fa/z'])
    assert.equal((await store.stats()).blocksDirty, 0)
    assert.deepEqual(await store.flushAll(), { results: [], failures: [] }, 'nothing left')
    await store.writeAt('fa/a', pattern(10, 9), 100)
    await store.delete('fa/z')
    assert.deepEqual(idsOf((await store.flushAll()).results), ['fa/a'])
  })

  withRestart(h, ctx).it('batch flushes survive close and reopen', async () => {
    const f = fx()
    await f.store.writeAt('fr/a', pattern(BlockSize + 1, 10), 0)
    await f.store.writeAt('fr/b', pattern(300, 11), 0)
    assert.deepEqual((await f.store.flushAll()).failures, [])
    const again = await ctx.reopen()
    assert.deepEqual(await readAll(again.store, 'fr/a'), pattern(BlockSize + 1, 10))
    assert.deepEqual(await readAll(again.store, 'fr/b'), pattern(300, 11))
  })
}
