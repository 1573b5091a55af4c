/**
 * `statPayload`: the size and times the engine's `stat` (every HTTP GET and HEAD) reports, from
 * the tier's memory instead of a query. They must agree with the stored record while it is
 * current, and say "modified now" once the payload changed after its last flush.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pattern } from '../../../src/conformance/local-store/fixture.js'
import { MemoryBlockMedium } from '../../../src/local/memory/memory-block-medium.js'
import { openTier } from '../helpers.js'

function tier(t: { after(fn: () => Promise<void>): void }, clock: () => number) {
  return openTier(t, new MemoryBlockMedium(), { clock })
}

describe('statPayload', () => {
  it('reports the stored record while current, "modified now" after an unflushed change', async (t) => {
    let now = 1_000
    const { store, metadata } = await tier(t, () => now)
    assert.equal(await store.statPayload('p'), undefined)
    await store.writeAt('p', pattern(3000), 0)
    now = 2_000
    await store.flush('p')
    const record = await metadata.getPayload('p')
    assert.ok(record !== undefined)
    now = 3_000
    assert.deepEqual(await store.statPayload('p'), record)
    assert.deepEqual(
      { size: record.size, createdAt: record.createdAt, modifiedAt: record.modifiedAt },
      { size: 3000, createdAt: 1_000, modifiedAt: 1_000 },
    )
    // The same size rewritten in place: a weak validator taken from the old record would
    // still match, so the time must move.
    await store.writeAt('p', pattern(3000, 9), 0)
    now = 4_000
    assert.deepEqual(await store.statPayload('p'), {
      id: 'p',
      size: 3000,
      createdAt: 1_000,
      modifiedAt: 4_000,
    })
    now = 5_000
    await store.flush('p')
    const again = await metadata.getPayload('p')
    assert.deepEqual(await store.statPayload('p'), again)
  })

  it('loads a payload not in memory from its record, and agrees with it', async (t) => {
    const { store, metadata } = await tier(t, () => 7_000)
    await metadata.putPayload({ id: 'q', size: 12, createdAt: 100, modifiedAt: 200 })
    assert.deepEqual(await store.statPayload('q'), {
      id: 'q',
      size: 12,
      createdAt: 100,
      modifiedAt: 200,
    })
  })
})
