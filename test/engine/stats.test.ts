/** Engine statistics: block counts by where the bytes are, space, age of un-uploaded bytes. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pattern } from '../../src/conformance/block-store/fixture.js'
import { BlockSize } from '../../src/core/constants.js'
import { openTestEngine } from '../support/engine-fixture.js'

describe('engine stats', () => {
  it('reports zeros for an empty store (EmptyStore)', async () => {
    await using t = await openTestEngine()
    const s = await t.engine.stats()
    assert.equal(s.fileCount, 0)
    assert.equal(s.blocksTotal, 0)
    assert.equal(s.contentCount, 0)
    assert.equal(s.averageSize, 0)
    assert.equal(s.oldestUnuploadedAgeMs, 0)
    assert.equal(s.hasRemote, true)
  })

  it('counts blocks by physical presence through write, flush, upload and eviction', async () => {
    await using t = await openTestEngine()
    await t.engine.writeAt('f', pattern(100), 0)
    await t.engine.writeAt('f', pattern(100, 2), BlockSize)
    let s = await t.engine.stats()
    assert.equal(s.blocksDirty, 2)
    assert.equal(s.blocksTotal, 2)
    await t.engine.flush('f')
    s = await t.engine.stats()
    assert.equal(s.blocksLocal, 2)
    assert.equal(s.blocksDirty, 0)
    await t.engine.drainAllUploads()
    s = await t.engine.stats()
    assert.equal(s.blocksRemote, 2)
    assert.equal(s.blocksRemoteCached, 2, 'uploaded blocks still on local disk')
    assert.equal(s.uploadsCompleted, 2)
    assert.equal(s.bytesUploaded, 200)
    await t.engine.evict()
    s = await t.engine.stats()
    assert.equal(s.blocksRemote, 2)
    assert.equal(s.blocksRemoteCached, 0)
  })

  it('reports the age of the oldest byte not yet uploaded, and 0 once drained', async () => {
    await using t = await openTestEngine()
    await t.engine.writeAt('f', pattern(100), 0)
    await t.engine.flush('f')
    await new Promise((r) => setTimeout(r, 30))
    assert.ok((await t.engine.stats()).oldestUnuploadedAgeMs >= 25)
    await t.engine.drainAllUploads()
    assert.equal((await t.engine.stats()).oldestUnuploadedAgeMs, 0)
  })

  it('derives used, available and average sizes from the local disk (UsedSizeMatchesDiskUsed, AvailableSize, AverageSize)', async () => {
    await using t = await openTestEngine()
    await t.engine.writeAt('a', pattern(4000), 0)
    await t.engine.writeAt('b', pattern(6000), 0)
    await t.engine.flush('a')
    await t.engine.flush('b')
    const s = await t.engine.stats()
    assert.equal(s.usedSize, s.localDiskUsed)
    assert.equal(s.usedSize, 10_000)
    assert.equal(s.contentCount, 2)
    assert.equal(s.averageSize, 5000)
    assert.equal(s.availableSize, s.totalSize > 0 ? s.totalSize - s.usedSize : 0)
  })

  it('counts remote requests and bytes downloaded by cold reads', async () => {
    await using t = await openTestEngine({ prefetchWorkers: 0 })
    await t.engine.writeAt('f', pattern(BlockSize), 0)
    await t.engine.flush('f')
    await t.engine.drainAllUploads()
    await t.engine.evict()
    await t.engine.readAt('f', new Uint8Array(BlockSize), 0)
    const s = await t.engine.stats()
    assert.equal(s.bytesDownloaded, BlockSize)
    assert.ok(Object.values(s.remoteRequests).reduce((a, b) => a + b, 0) >= 0)
  })
})
