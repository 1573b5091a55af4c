import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BlockState, newFileBlock } from '../../../src/core/block.js'
import { isBlockStoreError } from '../../../src/core/errors.js'
import { parseContentHash } from '../../../src/core/hash.js'
import { MemoryMetadataStore } from '../../../src/meta/memory/memory-metadata-store.js'

const HASH = parseContentHash('ab'.repeat(32))

describe('MemoryMetadataStore', () => {
  it('stores version 1 on the first put and bumps it on every change', async () => {
    await using store = await MemoryMetadataStore.open()
    const stored = await store.putFileBlock(newFileBlock('p/0', '/x', 1))
    assert.equal(stored.version, 1)
    await store.incrementRefCount('p/0')
    assert.equal((await store.getFileBlock('p/0')).version, 2)
  })

  it('forgets the old hash of a row whose hash changed', async () => {
    await using store = await MemoryMetadataStore.open()
    const row = { ...newFileBlock('p/0', '', 1), hash: HASH, state: BlockState.Remote }
    const stored = await store.putFileBlock(row)
    assert.equal((await store.findFileBlockByHash(HASH))?.id, 'p/0')
    await store.putFileBlock({ ...stored, hash: parseContentHash('cd'.repeat(32)) })
    assert.equal(await store.findFileBlockByHash(HASH), undefined)
  })

  it('rejects every call after close with BS_STORE_CLOSED', async () => {
    const store = await MemoryMetadataStore.open()
    await store.close()
    await assert.rejects(store.getFileBlock('p/0'), (e) => isBlockStoreError(e, 'BS_STORE_CLOSED'))
  })
})
