/**
 * Whole-block replacement (`shareRemoteBlock`, `replaceBlock`): what payload copies onto an
 * existing destination are built from. Each replaces whatever the block held, never loads the
 * old bytes, and leaves the rest of the payload alone.
 */
import assert from 'node:assert/strict'
import { BlockState } from '../../core/block.js'
import { BlockSize } from '../../core/constants.js'
import { isBlockStoreError } from '../../core/errors.js'
import type { Harness } from '../harness.js'
import type { WithFixture } from './fixture.js'
import { pattern, readLocal, row, syncBlock } from './fixture.js'

const rejectsCode = (p: Promise<unknown>, code: string) =>
  assert.rejects(p, (err) => isBlockStoreError(err, code as never))

/** Registers the replacement cases. */
export function registerReplaceCases(h: Harness, withFixture: WithFixture): void {
  const withRemote: WithFixture = (fn) => withFixture(fn, true)

  h.it(
    'shareRemoteBlock turns a local block into a reference to another object, dropping its bytes',
    withRemote(async (f, remote) => {
      await f.store.writeAt('src', pattern(5000, 1), 0)
      await f.store.flush('src')
      const shared = await syncBlock(f, remote, 'src', 0)
      await f.store.writeAt('dst', pattern(BlockSize + 10, 2), 0)
      await f.store.flush('dst')
      const before = f.store.stats().diskUsed
      const stored = await f.store.shareRemoteBlock('dst', 0, {
        hash: shared.hash,
        blockStoreKey: shared.blockStoreKey,
        dataSize: 5000,
      })
      assert.equal(stored.state, BlockState.Remote)
      assert.equal(stored.blockStoreKey, shared.blockStoreKey)
      assert.equal(stored.localPath, '')
      assert.equal(await f.store.isBlockLocal('dst', 0), false)
      assert.equal(f.store.stats().diskUsed, before - BlockSize, 'the old bytes are freed')
      assert.equal(remote.loads, 0, 'nothing fetched')
      const r = await f.store.readAt('dst', new Uint8Array(100), 0)
      assert.deepEqual(r.remoteBlocks, [0])
      assert.equal(await f.store.getFileSize('dst'), BlockSize + 10, 'size unchanged')
      assert.deepEqual(
        await readLocal(f.store, 'dst', BlockSize, 10),
        pattern(BlockSize + 10, 2).subarray(BlockSize),
      )
    }),
  )

  h.it(
    'replaceBlock replaces a block whole without loading the old bytes, even when only the remote has them',
    withRemote(async (f, remote) => {
      await f.store.writeAt('p', pattern(BlockSize, 3), 0)
      await f.store.flush('p')
      await syncBlock(f, remote, 'p', 0)
      assert.equal(await f.store.evictBlock('p', 0), true)
      remote.objects.clear() // the remote cannot serve the old bytes
      await f.store.replaceBlock('p', 0, pattern(300, 4))
      assert.equal(remote.loads, 0)
      assert.equal((await row(f, 'p', 0)).state, BlockState.Dirty)
      assert.equal(remote.dropped.length, 1, 'the old reference is reported')
      assert.deepEqual(await readLocal(f.store, 'p', 0, 300), pattern(300, 4))
      // Not merged: the old tail is gone (zeros up to the unchanged size).
      assert.equal(await f.store.getFileSize('p'), BlockSize)
      const tail = await readLocal(f.store, 'p', 300, 1000)
      assert.ok(tail.every((b) => b === 0))
      await f.store.flush('p')
      const local = await row(f, 'p', 0)
      assert.equal(local.state, BlockState.Local)
      assert.equal(local.dataSize, 300)
    }),
  )

  h.it(
    'replaceBlock with no bytes makes the block a hole and grows nothing',
    withFixture(async (f) => {
      await f.store.writeAt('p', pattern(2 * BlockSize, 5), 0)
      await f.store.flush('p')
      await f.store.replaceBlock('p', 0, new Uint8Array(0))
      assert.equal(await f.store.isBlockLocal('p', 0), false)
      assert.deepEqual(
        (await f.metadata.listFileBlocks('p')).map((r) => r.id),
        ['p/1'],
      )
      const out = new Uint8Array(4096)
      await f.store.readAt('p', out, 0)
      assert.ok(out.every((b) => b === 0))
      assert.equal(await f.store.getFileSize('p'), 2 * BlockSize)
    }),
  )

  h.it(
    'replaceBlock grows the payload to cover the block, and a dirty buffer it replaces is dropped',
    withFixture(async (f) => {
      await f.store.writeAt('p', pattern(100, 6), 0)
      await f.store.writeAt('p', pattern(100, 7), 50) // unflushed, maybe buffered
      await f.store.replaceBlock('p', 2, pattern(10, 8))
      assert.equal(await f.store.getFileSize('p'), 2 * BlockSize + 10)
      await f.store.replaceBlock('p', 0, pattern(20, 9))
      assert.deepEqual(await readLocal(f.store, 'p', 0, 20), pattern(20, 9))
      await f.store.flush('p')
      assert.equal((await row(f, 'p', 0)).dataSize, 20)
      assert.deepEqual(await readLocal(f.store, 'p', 2 * BlockSize, 10), pattern(10, 8))
    }),
  )

  h.it(
    'block replacement refuses bad input and unknown payloads, changing nothing',
    withFixture(async (f) => {
      await f.store.writeAt('p', pattern(100), 0)
      await f.store.flush('p')
      await rejectsCode(f.store.replaceBlock('nope', 0, pattern(10)), 'BS_CONTENT_NOT_FOUND')
      await rejectsCode(
        f.store.replaceBlock('p', 0, new Uint8Array(BlockSize + 1)),
        'BS_INVALID_ARGUMENT',
      )
      await rejectsCode(f.store.replaceBlock('p', -1, pattern(10)), 'BS_INVALID_OFFSET')
      const ref = { hash: (await row(f, 'p', 0)).hash, blockStoreKey: '', dataSize: 10 }
      await rejectsCode(f.store.shareRemoteBlock('p', 0, ref), 'BS_INVALID_ARGUMENT')
      await rejectsCode(
        f.store.shareRemoteBlock('p', 0, { ...ref, blockStoreKey: 'k', dataSize: 0 }),
        'BS_INVALID_ARGUMENT',
      )
      assert.equal(await f.store.getFileSize('nope'), undefined)
      assert.deepEqual(await readLocal(f.store, 'p', 0, 100), pattern(100))
      assert.equal((await row(f, 'p', 0)).state, BlockState.Local)
    }),
  )
}
