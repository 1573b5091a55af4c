/**
 * Upload snapshots live in a few reused shared buffers (src/sync/buffer-pool.ts) hashed in
 * place by the hashing threads. Reuse must never leak one block's bytes into another's object,
 * and a buffer must never go back to the pool while a remote write may still read it.
 */
import assert from 'node:assert/strict'
import { createHash, randomFillSync } from 'node:crypto'
import { describe, it } from 'node:test'
import { blockSizeOfIndexedObject } from '../../src/core/chunk-layout.js'
import { BlockSize } from '../../src/core/constants.js'
import { formatChunkIndexKey, hasIndexTrailer, parseChunkIndexKey } from '../../src/core/keys.js'
import { hashBlock, hashOwnedBlockWithChunks } from '../../src/platform/hash-block.js'
import { MemoryRemoteStore } from '../../src/remote/memory/index.js'
import { BufferPool } from '../../src/sync/buffer-pool.js'
import { CountingRemote } from '../support/counting-remote.js'
import {
  asSeparateIndex,
  makeRemoteOnly,
  manualUploads,
  openTestEngine,
} from '../support/engine-fixture.js'

/** Records every block object's bytes as they are when its write settles. */
class RecordingRemote extends CountingRemote {
  readonly objects = new Map<string, Uint8Array>()

  override async writeBlock(key: string, data: Uint8Array, o?: { signal?: AbortSignal }) {
    await super.writeBlock(key, data, o)
    if (parseChunkIndexKey(key) === undefined) this.objects.set(key, data.slice())
  }
}

describe('upload snapshot buffers', () => {
  it('hands out shared buffers, keeps at most `keep` and drops what is not its own', () => {
    const pool = new BufferPool(1024, 2)
    const a = pool.take()
    const b = pool.take()
    const c = pool.take()
    assert.ok(a.buffer instanceof SharedArrayBuffer)
    assert.equal(a.length, 1024)
    pool.give(a.subarray(0, 10))
    pool.give(b)
    pool.give(c)
    assert.equal(pool.idle, 2, 'a third free buffer is not kept')
    pool.give(new Uint8Array(1024))
    pool.give(new Uint8Array(new SharedArrayBuffer(512)))
    assert.equal(pool.idle, 2)
    const again = pool.take()
    assert.ok(again.buffer === b.buffer || again.buffer === a.buffer, 'a free buffer is reused')
    pool.clear()
    assert.equal(pool.idle, 0)
  })

  it('keeps its free buffers for a while after the last use, and a take in time keeps them', async () => {
    const pool = new BufferPool(1024, 2)
    const a = pool.take()
    pool.give(a)
    pool.releaseAfter(40)
    await new Promise((resolve) => setTimeout(resolve, 10))
    const again = pool.take()
    assert.equal(again.buffer, a.buffer, 'reused while the release is pending')
    pool.give(again)
    await new Promise((resolve) => setTimeout(resolve, 60))
    assert.equal(pool.idle, 1, 'the take cancelled the release')
    pool.releaseAfter(20)
    await new Promise((resolve) => setTimeout(resolve, 60))
    assert.equal(pool.idle, 0, 'released once idle for the whole delay')
  })

  it('hashes shared memory in place on a worker, same digest and index as this thread', async () => {
    const shared = new Uint8Array(new SharedArrayBuffer(BlockSize))
    randomFillSync(shared)
    const view = shared.subarray(0, BlockSize - 12345)
    const got = await hashOwnedBlockWithChunks(view, { ownsBuffer: true })
    const inline = await hashOwnedBlockWithChunks(view.slice(0, 1000 * 1024).subarray(0))
    assert.equal(got.data, view, 'nothing moved: the same view comes back')
    assert.ok(got.hash.equals(hashBlock(view)))
    assert.ok(inline.hash.equals(hashBlock(view.subarray(0, 1000 * 1024))))
    const copy = await hashOwnedBlockWithChunks(new Uint8Array(view))
    assert.ok(got.chunks !== undefined && copy.chunks?.root.equals(got.chunks.root))
    assert.deepEqual(copy.chunks?.index, got.chunks.index)
    // The body of an object carrying its index: SHA-256 of the block, then the index, the same
    // from the thread (continued state) as on this thread (a block under the offload size).
    const body = (data: Uint8Array, index: Uint8Array | undefined): string =>
      createHash('sha256').update(data).update(index!).digest('hex')
    assert.equal(got.indexedBodyHash?.toString(), body(view, got.chunks.index))
    assert.equal(copy.indexedBodyHash?.toString(), body(view, got.chunks.index))
    const small = view.subarray(0, 300_000)
    const inPlace = await hashOwnedBlockWithChunks(small)
    assert.equal(inPlace.indexedBodyHash?.toString(), body(small, inPlace.chunks?.index))
    const tiny = await hashOwnedBlockWithChunks(view.subarray(0, 65_536))
    assert.equal(tiny.chunks, undefined)
    assert.equal(tiny.indexedBodyHash, undefined, 'no index, no indexed body')
  })

  it('uploads every block with its own bytes when buffers are reused, short blocks included', async () => {
    const remote = new RecordingRemote(new MemoryRemoteStore())
    // Two uploads at a time, so 4 buffers serve 24 blocks: each is reused several times, and
    // short blocks land in buffers a full block used before (stale bytes past their end).
    await using t = await openTestEngine({
      remote: { store: remote },
      syncer: { ...manualUploads, parallelUploads: 2 },
    })
    const sizes: number[] = []
    for (let i = 0; i < 12; i++) {
      sizes.push(BlockSize + ((i * 7919) % BlockSize), 100_000 + i * 4096)
    }
    const payloads = sizes.map((size, i) => {
      const data = randomFillSync(new Uint8Array(size))
      return { id: `p${i}`, data }
    })
    for (const p of payloads) {
      await t.engine.writeAt(p.id, p.data, 0)
      await t.engine.flush(p.id)
    }
    const report = await t.engine.drainAllUploads()
    assert.equal(report.failed.length, 0)
    const expected = new Set<string>()
    for (const p of payloads) {
      for (let at = 0; at < p.data.length; at += BlockSize) {
        expected.add(hashBlock(p.data.subarray(at, at + BlockSize)).toString())
      }
    }
    assert.equal(remote.objects.size, expected.size)
    for (const [key, bytes] of remote.objects) {
      // An object over 64 KiB is the block followed by its chunk index.
      const size = hasIndexTrailer(key) ? blockSizeOfIndexedObject(bytes.length) : bytes.length
      assert.ok(size !== undefined, `object ${key} has the size of a block and its index`)
      const block = bytes.slice(0, size)
      const digest = hashBlock(block).toString()
      assert.ok(key.includes(digest), `object ${key} holds the bytes its key names`)
      assert.ok(expected.has(digest))
      if (hasIndexTrailer(key)) {
        const { chunks } = await hashOwnedBlockWithChunks(block)
        assert.deepEqual(bytes.subarray(size), chunks?.index, `object ${key} holds its own index`)
      }
    }
    for (const p of payloads) {
      const out = new Uint8Array(p.data.length)
      assert.equal(await t.engine.readAt(p.id, out, 0), p.data.length)
      assert.deepEqual(out, p.data)
    }
  })

  it('keeps the buffer until the block write settles, even when the index write failed first', async () => {
    const remote = new CountingRemote(new MemoryRemoteStore())
    await using t = await openTestEngine({
      remote: { store: remote },
      syncer: { ...manualUploads, parallelUploads: 1 },
    })
    // A separate index object is written only beside an earlier version's object that a new
    // block shares (and, here, that lost both its objects, so both are written again).
    const data = randomFillSync(new Uint8Array(BlockSize))
    await makeRemoteOnly(t, 'donor', data)
    const plain = await asSeparateIndex(t, 'donor')
    await remote.inner.deleteBlock(plain)
    await remote.inner.deleteBlock(formatChunkIndexKey(plain))
    let blockWriteDone = false
    let releaseBlockWrite!: () => void
    const blockWriteHeld = new Promise<void>((resolve) => {
      releaseBlockWrite = resolve
    })
    remote.beforeWrite = async (key) => {
      if (parseChunkIndexKey(key) !== undefined) throw new Error('index write refused')
      await blockWriteHeld
      blockWriteDone = true
    }
    await t.engine.writeAt('p', data, 0)
    await t.engine.flush('p')
    let drained = false
    const drain = t.engine.drainAllUploads().finally(() => {
      drained = true
    })
    // Long enough for the index write to fail and, without the wait, the upload to settle.
    await new Promise((r) => setTimeout(r, 300))
    assert.equal(drained, false, 'the upload still holds its buffer while the block write runs')
    releaseBlockWrite()
    const report = await drain
    assert.ok(blockWriteDone)
    assert.equal(report.failed.length, 1, 'the index failure is reported')
  })
})
