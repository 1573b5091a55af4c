import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { pattern } from '../../../src/conformance/local-store/fixture.js'
import { BlockSize } from '../../../src/core/constants.js'
import type { LocalTier } from '../../../src/local/common/local-tier.js'
import type { SyncOptions } from '../../../src/local/common/state/block-medium.js'
import { MemoryBlockMedium } from '../../../src/local/memory/memory-block-medium.js'
import { openTier } from '../helpers.js'

interface SyncCall {
  readonly idxs: readonly number[]
  readonly names: boolean
}

/** A durable-looking medium that records its syncs and can hold or fail the background ones. */
class SyncRecordingMedium extends MemoryBlockMedium {
  override readonly durable: boolean = true
  readonly calls: SyncCall[] = []
  /** While set, syncs of the files' bytes alone (the background ones) wait for it. */
  hold: Promise<void> | undefined
  failBackground = false
  override async sync(
    _id?: string,
    idxs: readonly number[] = [],
    options?: SyncOptions,
  ): Promise<void> {
    const names = options?.names !== false
    this.calls.push({ idxs: [...idxs], names })
    if (names) return
    await this.hold
    if (this.failBackground) throw new Error('EIO: fsync failed')
  }
  /** Holds the background syncs until the returned function is called. */
  holdBackground(): () => void {
    let release!: () => void
    this.hold = new Promise((resolve) => {
      release = resolve
    })
    return release
  }
  /** Block indexes synced by calls that also synced names (a flush's). */
  flushed(): number[] {
    return this.calls.filter((c) => c.names).flatMap((c) => [...c.idxs])
  }
  background(): number[] {
    return this.calls.filter((c) => !c.names).flatMap((c) => [...c.idxs])
  }
}

async function tier(t: TestContext): Promise<{ store: LocalTier; medium: SyncRecordingMedium }> {
  const medium = new SyncRecordingMedium()
  return { store: (await openTier(t, medium)).store, medium }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
}

describe('write-behind of whole blocks', () => {
  it('syncs full blocks as they are written, so the flush syncs only the partial tail', async (t) => {
    const { store, medium } = await tier(t)
    await store.writeAt('p', pattern(3 * BlockSize + 4096), 0)
    await settle()
    assert.deepEqual(medium.background().sort(), [0, 1, 2])
    await store.flush('p')
    assert.deepEqual(medium.flushed(), [3], 'the flush left the synced blocks alone')
  })

  it('a block written again during its background sync is synced again by the flush', async (t) => {
    const { store, medium } = await tier(t)
    const release = medium.holdBackground()
    await store.writeAt('p', pattern(BlockSize), 0)
    await settle()
    assert.deepEqual(medium.background(), [0], 'the sync started and is held')
    await store.writeAt('p', pattern(100, 7), 10)
    release()
    await store.flush('p')
    assert.deepEqual(
      medium.flushed(),
      [0],
      'the sync began before the last write: it does not count',
    )
  })

  it('a failed background sync fails the next flush, as its own fsync would; a retry syncs', async (t) => {
    const { store, medium } = await tier(t)
    medium.failBackground = true
    await store.writeAt('p', pattern(BlockSize), 0)
    await settle()
    assert.deepEqual(medium.background(), [0])
    // Its own fsync succeeding would prove nothing: the kernel may have dropped the pages.
    await assert.rejects(store.flush('p'), /fsync failed/)
    await store.flush('p')
    assert.deepEqual(medium.flushed(), [0], 'the retry synced the block itself')
  })

  it('a flush waits for the running background sync instead of adding its own', async (t) => {
    const { store, medium } = await tier(t)
    const release = medium.holdBackground()
    await store.writeAt('p', pattern(BlockSize), 0)
    await settle()
    let flushed = false
    const flushing = store.flush('p').then(() => {
      flushed = true
    })
    await settle()
    assert.equal(flushed, false, 'the flush is not acknowledged before the block is synced')
    release()
    await flushing
    assert.deepEqual(medium.flushed(), [], 'the background sync covered the block')
  })
})
