import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pattern } from '../../../src/conformance/local-store/fixture.js'
import { isBlockStoreError } from '../../../src/core/errors.js'
import { MemoryLocalStore } from '../../../src/local/memory/memory-local-store.js'
import { MemoryMetadataStore } from '../../../src/meta/memory/memory-metadata-store.js'

describe('MemoryLocalStore', () => {
  it('is never durable, and reports healthy, then unhealthy after close', async () => {
    const metadata = await MemoryMetadataStore.open()
    const store = await MemoryLocalStore.open({ metadata })
    assert.deepEqual(store.capabilities, { durable: false, persistent: false })
    const fresh = await store.healthcheck()
    assert.equal(fresh.status, 'healthy')
    assert.ok(fresh.checkedAt > 0)
    assert.equal((await store.healthcheck({ signal: AbortSignal.abort() })).status, 'unknown')
    await store.close()
    const closed = await store.healthcheck()
    assert.equal(closed.status, 'unhealthy')
    assert.match(closed.message ?? '', /closed/)
    await metadata.close()
  })

  it('applies maxDisk as a cap on the bytes it holds', async () => {
    const metadata = await MemoryMetadataStore.open()
    await using store = await MemoryLocalStore.open({ metadata, maxDisk: 8192, spaceWaitMs: 20 })
    await store.writeAt('a', pattern(8192), 0)
    await assert.rejects(store.writeAt('b', pattern(1), 0), (e) =>
      isBlockStoreError(e, 'BS_STORAGE_FULL'),
    )
    assert.equal(store.stats().diskUsed, 8192)
  })
})
