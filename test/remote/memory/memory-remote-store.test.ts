import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MemoryRemoteStore } from '../../../src/remote/memory/memory-remote-store.js'

describe('MemoryRemoteStore', () => {
  it('blockCount and totalSize follow writes, overwrites and deletes', async () => {
    await using s = new MemoryRemoteStore()
    assert.equal(s.blockCount(), 0)
    await s.writeBlock('f/block-0', new Uint8Array(10))
    await s.writeBlock('f/block-1', new Uint8Array(5))
    await s.writeBlock('f/block-1', new Uint8Array(7))
    assert.equal(s.blockCount(), 2)
    assert.equal(s.totalSize(), 17)
    await s.deleteBlock('f/block-0')
    assert.equal(s.totalSize(), 7)
  })

  it('close drops every object', async () => {
    const s = new MemoryRemoteStore()
    await s.writeBlock('f/block-0', new Uint8Array(10))
    await s.close()
    assert.equal(s.blockCount(), 0)
  })

  it('declares itself non-persistent with range reads', () => {
    assert.deepEqual(new MemoryRemoteStore().capabilities, {
      persistent: false,
      rangeReads: true,
    })
  })
})
