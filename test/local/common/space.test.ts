import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pattern, readLocal, row, syncBlock } from '../../../src/conformance/local-store/fixture.js'
import type { LocalStoreFixture } from '../../../src/conformance/local-store.js'
import { BlockState } from '../../../src/core/block.js'
import { isBlockStoreError } from '../../../src/core/errors.js'
import { openFs } from '../helpers.js'

const KiB = 1024
const full = (e: unknown): boolean => isBlockStoreError(e, 'BS_STORAGE_FULL')

/** Writes, flushes and marks Remote one 4 KiB payload per name, in order. */
async function synced(f: LocalStoreFixture, names: string[]): Promise<void> {
  for (const name of names) {
    await f.store.writeAt(name, pattern(4 * KiB), 0)
    await f.store.flush(name)
    await syncBlock(f, undefined, name, 0)
  }
}

describe('disk cap and eviction', () => {
  it('pin never evicts: writers over the cap fail fast and local paths stay', async (t) => {
    const f = await openFs(t, { maxDisk: 12 * KiB, retentionPolicy: 'pin', spaceWaitMs: 5000 })
    await synced(f, ['a', 'b', 'c'])
    const t0 = performance.now()
    await f.store.writeAt('d', pattern(4 * KiB), 0)
    await assert.rejects(f.store.flush('d'), full)
    assert.ok(performance.now() - t0 < 1000)
    assert.notEqual((await row(f, 'a', 0)).localPath, '')
    assert.equal(f.store.stats().storageFullErrors, 1)
  })

  it('LRU evicts the least recently accessed synced block only', async (t) => {
    const f = await openFs(t, { maxDisk: 12 * KiB })
    await synced(f, ['old', 'mid', 'new'])
    await readLocal(f.store, 'mid', 0, 10)
    await readLocal(f.store, 'new', 0, 10)
    await f.store.writeAt('next', pattern(4 * KiB), 0)
    await f.store.flush('next')
    assert.equal(await f.store.isBlockLocal('old', 0), false)
    assert.equal(await f.store.isBlockLocal('mid', 0), true)
    assert.equal(await f.store.isBlockLocal('new', 0), true)
    const evicted = await row(f, 'old', 0)
    assert.equal(evicted.state, BlockState.Remote)
    assert.equal(evicted.localPath, '')
    assert.equal(f.store.stats().evictions, 1)
  })

  it('a recently read block survives while an older one is evicted', async (t) => {
    const f = await openFs(t, { maxDisk: 8 * KiB })
    await synced(f, ['first', 'second'])
    await readLocal(f.store, 'first', 0, 10)
    await f.store.writeAt('third', pattern(4 * KiB), 0)
    await f.store.flush('third')
    assert.equal(await f.store.isBlockLocal('first', 0), true)
    assert.equal(await f.store.isBlockLocal('second', 0), false)
  })

  it('TTL keeps blocks accessed within the TTL and evicts expired ones', async (t) => {
    let now = Date.now()
    const f = await openFs(t, {
      clock: () => now,
      maxDisk: 8 * KiB,
      retentionPolicy: 'ttl',
      retentionTtlMs: 3_600_000,
      spaceWaitMs: 100,
    })
    await synced(f, ['a', 'b'])
    now += 1_800_000
    await f.store.writeAt('c', pattern(4 * KiB), 0)
    await assert.rejects(f.store.flush('c'), full)
    now += 1_800_000
    await readLocal(f.store, 'b', 0, 10)
    now += 1_000
    await f.store.flush('c')
    assert.equal(await f.store.isBlockLocal('a', 0), false)
    assert.equal(await f.store.isBlockLocal('b', 0), true)
  })

  it('suspended eviction fails fast even with a candidate; resumed eviction evicts', async (t) => {
    const f = await openFs(t, { maxDisk: 8 * KiB, spaceWaitMs: 5000 })
    await synced(f, ['a', 'b'])
    f.store.setEvictionEnabled(false)
    await f.store.writeAt('c', pattern(4 * KiB), 0)
    const t0 = performance.now()
    await assert.rejects(f.store.flush('c'), full)
    assert.ok(performance.now() - t0 < 1000)
    f.store.setEvictionEnabled(true)
    await f.store.flush('c')
    assert.equal(await f.store.isBlockLocal('a', 0), false)
  })

  it('blocks that are not safely remote are never evicted; writers then fail after waiting', async (t) => {
    const f = await openFs(t, { maxDisk: 8 * KiB, spaceWaitMs: 60 })
    await f.store.writeAt('dirty', pattern(4 * KiB), 0)
    await f.store.releaseMemory('dirty')
    await f.store.writeAt('local', pattern(4 * KiB), 0)
    await f.store.flush('local')
    await f.store.writeAt('x', pattern(4 * KiB), 0)
    await assert.rejects(f.store.flush('x'), full)
    assert.equal(f.store.stats().spaceWaits, 1)
    assert.deepEqual(await readLocal(f.store, 'dirty', 0, 4 * KiB), pattern(4 * KiB))
    assert.deepEqual(await readLocal(f.store, 'local', 0, 4 * KiB), pattern(4 * KiB))
  })

  it('a waiting writer proceeds once an upload turns a block Remote', async (t) => {
    const f = await openFs(t, { maxDisk: 8 * KiB, spaceWaitMs: 5000 })
    for (const name of ['a', 'b']) {
      await f.store.writeAt(name, pattern(4 * KiB), 0)
      await f.store.flush(name)
    }
    await f.store.writeAt('c', pattern(4 * KiB, 7), 0)
    const flushing = f.store.flush('c')
    await new Promise((resolve) => setTimeout(resolve, 30))
    await syncBlock(f, undefined, 'a', 0)
    await flushing
    assert.equal(await f.store.isBlockLocal('a', 0), false)
    assert.deepEqual(await readLocal(f.store, 'c', 0, 4 * KiB), pattern(4 * KiB, 7))
  })

  it('the cap applies to writes into existing files too (in place, without packs)', async (t) => {
    const f = await openFs(t, { maxDisk: 8 * KiB, spaceWaitMs: 30, packs: false })
    await f.store.writeAt('a', pattern(4 * KiB), 0)
    await f.store.flush('a')
    await f.store.writeAt('a', pattern(4 * KiB), 4 * KiB)
    await assert.rejects(f.store.writeAt('a', pattern(4 * KiB), 8 * KiB), full)
    assert.ok(f.store.stats().diskUsed <= 8 * KiB)
  })

  it('the cap applies to a rewritten small payload too: its buffer cannot be flushed past it', async (t) => {
    // With packs a small block's copy is a record, never written in place: a write over it
    // goes to a buffer, and the cap is met where the buffer reaches the disk, at the flush.
    const f = await openFs(t, { maxDisk: 8 * KiB, spaceWaitMs: 30 })
    await f.store.writeAt('a', pattern(4 * KiB), 0)
    await f.store.flush('a')
    await f.store.writeAt('a', pattern(8 * KiB, 3), 4 * KiB)
    await assert.rejects(f.store.flush('a'), full)
    assert.ok(f.store.stats().diskUsed <= 8 * KiB)
    const want = new Uint8Array(12 * KiB)
    want.set(pattern(4 * KiB))
    want.set(pattern(8 * KiB, 3), 4 * KiB)
    assert.deepEqual(await readLocal(f.store, 'a', 0, 12 * KiB), want)
  })
})
