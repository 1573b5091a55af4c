import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  BlockState,
  blockStateName,
  ContentHash,
  cloneFileBlock,
  hasLocalFile,
  isBlockState,
  isDirty,
  isFinalized,
  isLocal,
  isRemote,
  newFileBlock,
} from '../../src/core/index.js'

describe('BlockState', () => {
  it('has the persisted values Dirty 0, Local 1, Syncing 2, Remote 3', () => {
    assert.deepEqual(
      [BlockState.Dirty, BlockState.Local, BlockState.Syncing, BlockState.Remote],
      [0, 1, 2, 3],
    )
  })

  it('names each state and calls anything else Unknown', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 99, -1].map(blockStateName), [
      'Dirty',
      'Local',
      'Syncing',
      'Remote',
      'Unknown',
      'Unknown',
      'Unknown',
    ])
    assert.ok(isBlockState(3))
    assert.ok(!isBlockState(4))
  })
})

describe('FileBlock', () => {
  it('starts Dirty with one reference, a zero hash and no remote key', () => {
    const b = newFileBlock('export/a.txt/0', '/tmp/x.blk', 1000)
    assert.deepEqual(b, {
      id: 'export/a.txt/0',
      hash: ContentHash.ZERO,
      dataSize: 0,
      localPath: '/tmp/x.blk',
      blockStoreKey: '',
      refCount: 1,
      lastAccess: 1000,
      createdAt: 1000,
      state: BlockState.Dirty,
      version: 0,
    })
    assert.ok(isDirty(b))
    assert.ok(!isLocal(b))
    assert.ok(!isRemote(b))
    assert.ok(!isFinalized(b))
    assert.ok(hasLocalFile(b))
    assert.ok(!hasLocalFile(newFileBlock('p/0', '')))
  })

  it('is remote when state is Remote, or a legacy Dirty row with a remote key', () => {
    const b = newFileBlock('p/0', '')
    assert.ok(isRemote({ ...b, state: BlockState.Remote }))
    assert.ok(isRemote({ ...b, blockStoreKey: 'p/block-0' }))
    assert.ok(!isRemote({ ...b, state: BlockState.Local, blockStoreKey: 'p/block-0' }))
    assert.ok(!isRemote({ ...b, state: BlockState.Syncing, blockStoreKey: 'p/block-0' }))
  })

  it('clones into an independent record', () => {
    const b = newFileBlock('p/0', 'x')
    const c = cloneFileBlock(b)
    c.dataSize = 99
    c.state = BlockState.Remote
    assert.equal(b.dataSize, 0)
    assert.equal(b.state, BlockState.Dirty)
  })
})
