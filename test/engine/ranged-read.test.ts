/**
 * Verified ranged reads through the engine (memory remote): random aligned 4 KiB cold reads
 * fetch at most 1.5 bytes per byte read with every byte verified, a corrupt range is never
 * served, blocks uploaded without a chunk index (older releases, and blocks of at most 64 KiB)
 * are read whole and verified. A block's index travels after the block in its one object;
 * objects of earlier versions, with the index in a `.chunks` object beside them, read the same,
 * and GC deletes such an index with its block while dedup reuses both.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pattern } from '../../src/conformance/block-store/fixture.js'
import type { AbortOptions } from '../../src/core/abort.js'
import { chunkIndexSize, chunkRecordSize } from '../../src/core/chunk-layout.js'
import { BlockSize } from '../../src/core/constants.js'
import { isBlockStoreError } from '../../src/core/errors.js'
import { formatChunkIndexKey, hasIndexTrailer, parseChunkIndexKey } from '../../src/core/keys.js'
import { MemoryRemoteStore } from '../../src/remote/memory/index.js'
import { CountingRemote } from '../support/counting-remote.js'
import { asSeparateIndex, makeRemoteOnly, openTestEngine } from '../support/engine-fixture.js'

const later = (): number => Date.now() + 2 * 3_600_000

/**
 * Flips one byte in the middle of every ranged body of a block (not of its index, which the
 * tests below read from past `BlockSize` in the object, or from a `.chunks` object).
 */
class CorruptRanges extends CountingRemote {
  corrupt = false
  override async readBlockRange(
    key: string,
    offset: number,
    length: number,
    o?: AbortOptions,
  ): Promise<Uint8Array> {
    const data = await super.readBlockRange(key, offset, length, o)
    if (!this.corrupt || parseChunkIndexKey(key) !== undefined || offset >= BlockSize) return data
    const bad = data.slice()
    bad[bad.length >> 1]! ^= 0x40
    return bad
  }
}

/** Distinct 4 KiB-aligned offsets, none at 0 and none right after another (all random reads). */
function randomLeaves(size: number, count: number, seed: number): number[] {
  let x = seed
  const next = (): number => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31
    return x
  }
  const leaves = size / 4096
  const picked = new Set<number>()
  while (picked.size < count) {
    const leaf = 1 + (next() % (leaves - 1))
    if (!picked.has(leaf - 1) && !picked.has(leaf + 1)) picked.add(leaf)
  }
  return [...picked].map((l) => l * 4096)
}

describe('verified ranged reads', () => {
  it('random aligned 4 KiB cold reads fetch at most 1.5 bytes per byte read, all verified', async () => {
    await using t = await openTestEngine({ prefetchWorkers: 0 })
    const size = 4 * BlockSize
    const data = pattern(size, 31)
    await makeRemoteOnly(t, 'rnd', data)
    const offsets = randomLeaves(size, 400, 7)
    const out = new Uint8Array(4096)
    for (const at of offsets) {
      assert.equal(await t.engine.readAt('rnd', out, at), 4096)
      assert.deepEqual(out, data.subarray(at, at + 4096), `offset ${at}`)
    }
    const c = t.remote.calls
    assert.equal(c.readBlock, 0, 'no whole block fetched')
    assert.equal(c.readBlockRange, offsets.length, 'one data GET per read')
    const fetched = c.rangeBytes + c.indexBytes
    const ratio = fetched / (offsets.length * 4096)
    // Worst case, every read in a new group: (4096 + 736) / 4096 = 1.18.
    assert.ok(ratio <= 1.5, `bytes fetched per byte read: ${ratio}`)
    assert.ok(c.indexRanges < offsets.length, 'groups already known cost no index GET')
    assert.equal(c.indexBytes, c.indexRanges * chunkRecordSize(BlockSize))
    const stats = await t.engine.stats()
    assert.equal(stats.bytesDownloaded, fetched)
  })

  it('a corrupt ranged body fails with BS_INTEGRITY_CHECK_FAILED and serves nothing', async () => {
    const remote = new CorruptRanges(new MemoryRemoteStore())
    await using t = await openTestEngine({ remote: { store: remote }, prefetchWorkers: 0 })
    const data = pattern(BlockSize, 32)
    await makeRemoteOnly(t, 'bad', data)
    remote.corrupt = true
    for (const [at, len] of [
      [40_960, 4096],
      [123_457, 10_000],
      [BlockSize - 4096, 4096],
    ] as const) {
      const dest = new Uint8Array(len)
      await assert.rejects(t.engine.readAt('bad', dest, at), (err) =>
        isBlockStoreError(err, 'BS_INTEGRITY_CHECK_FAILED'),
      )
      assert.ok(
        dest.every((b) => b === 0),
        'no byte of a corrupt range is served',
      )
    }
    assert.equal(remote.calls.readBlock, 0)
    remote.corrupt = false
    const dest = new Uint8Array(4096)
    await t.engine.readAt('bad', dest, 40_960)
    assert.deepEqual(dest, data.subarray(40_960, 45_056))
  })

  for (const layout of ['after the block', 'in a .chunks object'] as const) {
    it(`a corrupt chunk index record (${layout}) fails with BS_INTEGRITY_CHECK_FAILED`, async () => {
      await using t = await openTestEngine({ prefetchWorkers: 0 })
      const data = pattern(BlockSize, 33)
      await makeRemoteOnly(t, 'idx', data)
      const trailer = layout === 'after the block'
      const key = trailer
        ? (await t.metadata.getFileBlock('idx/0')).blockStoreKey
        : formatChunkIndexKey(await asSeparateIndex(t, 'idx'))
      const object = await t.remote.inner.readBlock(key)
      const bad = object.slice()
      // A sibling hash of group 5.
      bad[(trailer ? BlockSize : 0) + 5 * chunkRecordSize(BlockSize) + 600]! ^= 1
      await t.remote.inner.writeBlock(key, bad)
      const dest = new Uint8Array(4096)
      await assert.rejects(t.engine.readAt('idx', dest, 5 * 65_536 + 8192), (err) =>
        isBlockStoreError(err, 'BS_INTEGRITY_CHECK_FAILED'),
      )
      assert.ok(dest.every((b) => b === 0))
      // Another group's record is intact: its ranges read.
      await t.engine.readAt('idx', dest, 9 * 65_536)
      assert.deepEqual(dest, data.subarray(9 * 65_536, 9 * 65_536 + 4096))
    })
  }

  it('uploads a block with its index after it: one object, one PUT, ranged reads from it', async () => {
    await using t = await openTestEngine({ prefetchWorkers: 0 })
    const data = pattern(BlockSize, 39)
    await makeRemoteOnly(t, 'one', data)
    assert.equal(t.remote.calls.writeBlock, 1)
    assert.equal(t.remote.calls.indexWrites, 0, 'no index object beside it')
    const row = await t.metadata.getFileBlock('one/0')
    assert.ok(hasIndexTrailer(row.blockStoreKey))
    const info = await t.remote.inner.statBlock(row.blockStoreKey)
    assert.equal(info?.size, BlockSize + chunkIndexSize(BlockSize))
    assert.equal(await t.remote.inner.statBlock(formatChunkIndexKey(row.blockStoreKey)), undefined)
    const dest = new Uint8Array(4096)
    await t.engine.readAt('one', dest, 3 * 65_536)
    assert.deepEqual(dest, data.subarray(3 * 65_536, 3 * 65_536 + 4096))
    assert.equal(t.remote.calls.indexRanges, 1)
    assert.equal(t.remote.calls.readBlockRange, 1)
    // A large read fetches the whole block: the block part of the object only, checked
    // against the content hash.
    const big = new Uint8Array(1024 * 1024)
    await t.engine.readAt('one', big, 0)
    assert.deepEqual(big, data.subarray(0, big.length))
    assert.equal(t.remote.calls.readBlock, 1)
    assert.equal(t.remote.calls.indexRanges, 1, 'the index is not fetched with the block')
  })

  it('reads a block uploaded without a chunk index whole, verified against its SHA-256', async () => {
    await using t = await openTestEngine({ prefetchWorkers: 0 })
    const data = pattern(BlockSize, 34)
    await makeRemoteOnly(t, 'old', data)
    // The row and remote as older releases left them: no chunk root, no index object.
    const row = await t.metadata.getFileBlock('old/0')
    await t.metadata.putFileBlock({ ...row, chunkRoot: undefined })
    await t.remote.inner.deleteBlock(formatChunkIndexKey(row.blockStoreKey))
    // Corrupt first: a whole-block read must catch it.
    const bad = data.slice()
    bad[700_000]! ^= 1
    await t.remote.inner.writeBlock(row.blockStoreKey, bad)
    const dest = new Uint8Array(4096)
    await assert.rejects(t.engine.readAt('old', dest, 696_320), (err) =>
      isBlockStoreError(err, 'BS_INTEGRITY_CHECK_FAILED'),
    )
    await t.remote.inner.writeBlock(row.blockStoreKey, data)
    // The failed fetch stays joinable until the next turn of the event loop.
    await new Promise((r) => setImmediate(r))
    await t.engine.readAt('old', dest, 696_320)
    assert.deepEqual(dest, data.subarray(696_320, 700_416))
    assert.equal(t.remote.calls.readBlockRange, 0, 'never an unverifiable ranged GET')
    assert.equal(t.remote.calls.indexRanges, 0)
    assert.equal(t.remote.calls.readBlock, 2)
  })

  it("falls back to a verified whole block when an earlier version's index object is missing", async () => {
    await using t = await openTestEngine({ prefetchWorkers: 0 })
    const data = pattern(BlockSize, 35)
    await makeRemoteOnly(t, 'lost', data)
    await t.remote.inner.deleteBlock(formatChunkIndexKey(await asSeparateIndex(t, 'lost')))
    const dest = new Uint8Array(4096)
    await t.engine.readAt('lost', dest, 81_920)
    assert.deepEqual(dest, data.subarray(81_920, 86_016))
    assert.equal(t.remote.calls.readBlock, 1)
  })

  it('uploads a block of at most 64 KiB as one object, and reads it whole in one verified GET', async () => {
    await using t = await openTestEngine({ prefetchWorkers: 0 })
    const data = pattern(64 * 1024, 38)
    await makeRemoteOnly(t, 'small', data)
    assert.equal(t.remote.calls.writeBlock, 1)
    assert.equal(t.remote.calls.indexWrites, 0, 'no chunk index object')
    const row = await t.metadata.getFileBlock('small/0')
    assert.equal(row.chunkRoot, undefined)
    // Corrupt: the whole-block check against the content hash catches it.
    const bad = data.slice()
    bad[40_000]! ^= 1
    await t.remote.inner.writeBlock(row.blockStoreKey, bad)
    const dest = new Uint8Array(4096)
    await assert.rejects(t.engine.readAt('small', dest, 36_864), (err) =>
      isBlockStoreError(err, 'BS_INTEGRITY_CHECK_FAILED'),
    )
    await t.remote.inner.writeBlock(row.blockStoreKey, data)
    await new Promise((r) => setImmediate(r))
    await t.engine.readAt('small', dest, 36_864)
    assert.deepEqual(dest, data.subarray(36_864, 40_960))
    assert.equal(t.remote.calls.readBlockRange, 0)
    assert.equal(t.remote.calls.indexRanges, 0)
    assert.equal(t.remote.calls.readBlock, 2, 'one GET per read')
  })

  it('dedup reuses an object with its index after it; GC deletes it whole', async () => {
    await using t = await openTestEngine({ prefetchWorkers: 0 })
    const data = pattern(BlockSize, 40)
    await makeRemoteOnly(t, 'a', data)
    await makeRemoteOnly(t, 'b', data)
    assert.equal(t.remote.calls.writeBlock, 1)
    assert.equal(t.remote.calls.indexWrites, 0)
    const key = (await t.metadata.getFileBlock('b/0')).blockStoreKey
    assert.equal((await t.metadata.getFileBlock('a/0')).blockStoreKey, key)
    await t.engine.delete('a')
    assert.equal((await t.engine.collectGarbage({ now: later })).deleted, 0)
    const dest = new Uint8Array(4096)
    await t.engine.readAt('b', dest, 12_288)
    assert.deepEqual(dest, data.subarray(12_288, 16_384))
    await t.engine.delete('b')
    const gone = await t.engine.collectGarbage({ now: later })
    assert.equal(gone.deleted, 1)
    assert.equal(await t.remote.inner.statBlock(key), undefined)
  })

  it("dedup onto an earlier version's object reuses it and its index; GC deletes the index with its block", async () => {
    await using t = await openTestEngine({ prefetchWorkers: 0 })
    const data = pattern(BlockSize, 36)
    await makeRemoteOnly(t, 'a', data)
    const plain = await asSeparateIndex(t, 'a')
    await makeRemoteOnly(t, 'b', data)
    assert.equal(t.remote.calls.writeBlock, 1, 'only the first upload wrote the block')
    assert.equal(t.remote.calls.indexWrites, 0, 'the index beside the shared object was there')
    const key = (await t.metadata.getFileBlock('b/0')).blockStoreKey
    assert.equal(key, plain)
    const index = formatChunkIndexKey(key)
    await t.engine.delete('a')
    const kept = await t.engine.collectGarbage({ now: later })
    assert.equal(kept.deleted, 0)
    assert.ok((await t.remote.inner.statBlock(index)) !== undefined, 'index kept with its block')
    const dest = new Uint8Array(4096)
    await t.engine.readAt('b', dest, 12_288)
    assert.deepEqual(dest, data.subarray(12_288, 16_384))
    assert.equal(t.remote.calls.indexRanges, 1)
    await t.engine.delete('b')
    const gone = await t.engine.collectGarbage({ now: later })
    assert.equal(gone.deleted, 1)
    assert.equal(await t.remote.inner.statBlock(key), undefined)
    assert.equal(await t.remote.inner.statBlock(index), undefined, 'index deleted with its block')
  })

  it("GC deletes an earlier version's index whose block object is already gone", async () => {
    await using t = await openTestEngine({ prefetchWorkers: 0 })
    const data = pattern(BlockSize, 37)
    await makeRemoteOnly(t, 'c', data)
    const key = await asSeparateIndex(t, 'c')
    await t.engine.delete('c')
    // A run that died between the index and the block deletion, the other way round.
    await t.remote.inner.deleteBlock(key)
    await t.engine.collectGarbage({ now: later })
    assert.equal(await t.remote.inner.statBlock(formatChunkIndexKey(key)), undefined)
  })
})
