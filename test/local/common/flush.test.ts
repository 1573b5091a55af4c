import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pattern, row } from '../../../src/conformance/local-store/fixture.js'
import { BlockState } from '../../../src/core/block.js'
import { MemoryBlockMedium } from '../../../src/local/memory/memory-block-medium.js'
import { openTier } from '../helpers.js'

/** A durable-looking medium whose next fsync fails (fault injection only). */
class FailingSyncMedium extends MemoryBlockMedium {
  override readonly durable: boolean = true
  failNext = true
  override async sync(): Promise<void> {
    if (this.failNext) {
      this.failNext = false
      throw new Error('EIO: fsync failed')
    }
  }
}

describe('flush', () => {
  it('a failed fsync leaves rows Dirty and the record unstored; a later flush commits', async (t) => {
    const { store, metadata } = await openTier(t, new FailingSyncMedium())
    const f = { store, metadata }
    await store.writeAt('p', pattern(4096), 0)
    await assert.rejects(store.flush('p'), /fsync failed/)
    assert.equal((await row(f, 'p', 0)).state, BlockState.Dirty)
    assert.equal(await metadata.getPayload('p'), undefined)
    const flushed = await store.flush('p')
    assert.equal(flushed.length, 1)
    assert.equal((await row(f, 'p', 0)).state, BlockState.Local)
    assert.equal((await metadata.getPayload('p'))?.size, 4096)
  })
})
