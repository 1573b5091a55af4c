/**
 * The chunk hash tree: every record of every block size verifies against its root, the
 * worker (one pass with the block hash) and this thread build the same index, and a change
 * to one byte of a record, of the root, of the content hash or of a leaf is caught.
 */
import assert from 'node:assert/strict'
import { createHash, randomFillSync } from 'node:crypto'
import { describe, it } from 'node:test'
import {
  ChunkGroupLeaves,
  ChunkLeafSize,
  chunkGroupCount,
  chunkIndexSize,
  chunkRecordSize,
} from '../../src/core/chunk-layout.js'
import { BlockSize, HashSize } from '../../src/core/constants.js'
import { ContentHash } from '../../src/core/hash.js'
import {
  buildChunkIndex,
  leafHash,
  leafHashes,
  verifyChunkRecord,
} from '../../src/platform/chunk-tree.js'
import { hashBlock, hashOwnedBlockWithChunks } from '../../src/platform/hash-block.js'

function indexOf(data: Uint8Array) {
  const content = hashBlock(data)
  return { content, ...buildChunkIndex(leafHashes(data), data.length, content) }
}

function record(index: Uint8Array, size: number, g: number): Uint8Array {
  const r = chunkRecordSize(size)
  return index.slice(g * r, (g + 1) * r)
}

describe('chunk tree', () => {
  it('has the documented geometry for an 8 MiB block: 128 records of 736 bytes', () => {
    assert.equal(chunkGroupCount(BlockSize), 128)
    assert.equal(chunkRecordSize(BlockSize), 16 * 32 + 7 * 32)
    assert.equal(chunkIndexSize(BlockSize), 94_208)
  })

  for (const size of [1, 4095, 4096, 4097, 65_536, 65_537, 3 * 65_536 + 123, 1_000_000]) {
    it(`every record of a ${size}-byte block verifies and yields its leaf hashes`, () => {
      const data = randomFillSync(new Uint8Array(size))
      const { content, root, index } = indexOf(data)
      assert.equal(index.length, chunkIndexSize(size))
      const leaves = leafHashes(data)
      for (let g = 0; g < chunkGroupCount(size); g++) {
        const got = verifyChunkRecord(record(index, size, g), g, size, content, root)
        assert.ok(got !== undefined, `record ${g}`)
        const from = g * ChunkGroupLeaves * HashSize
        assert.deepEqual(got, leaves.subarray(from, from + got.length))
      }
    })
  }

  // Full blocks, and short ones (still big enough for a hashing thread) whose end falls inside
  // a group and inside a leaf.
  for (const size of [BlockSize, 3 * 1024 * 1024 + 12_345, 600 * 1024 + 1]) {
    it(`the worker builds the same index in one pass as this thread (${size} bytes)`, async () => {
      const data = randomFillSync(new Uint8Array(size))
      const expected = indexOf(data)
      // A whole ArrayBuffer goes to a hashing thread and comes back.
      const owned = new Uint8Array(data)
      const got = await hashOwnedBlockWithChunks(owned)
      assert.equal(owned.length, 0, 'the bytes went to the hashing thread')
      assert.ok(got.hash.equals(hashBlock(data)))
      assert.ok(got.hash.equals(expected.content))
      assert.ok(got.chunks?.root.equals(expected.root))
      assert.deepEqual(got.chunks?.index, expected.index)
      assert.deepEqual(got.data, data)
    })
  }

  it('gives a block of at most one group (64 KiB) no index; one byte more has one', async () => {
    const group = 64 * 1024
    for (const size of [1, 4096, group]) {
      const data = randomFillSync(new Uint8Array(size))
      const got = await hashOwnedBlockWithChunks(data)
      assert.equal(got.chunks, undefined, `${size} bytes`)
      assert.ok(got.hash.equals(hashBlock(data)))
    }
    const data = randomFillSync(new Uint8Array(group + 1))
    const got = await hashOwnedBlockWithChunks(data)
    assert.ok(got.chunks?.root.equals(indexOf(data).root))
  })

  it('catches one changed byte anywhere in a record, a wrong root, a wrong content hash or position', () => {
    const size = BlockSize
    const data = randomFillSync(new Uint8Array(size))
    const { content, root, index } = indexOf(data)
    const g = 37
    const good = record(index, size, g)
    for (let at = 0; at < good.length; at += 1) {
      const bad = good.slice()
      bad[at]! ^= 0x01
      assert.equal(verifyChunkRecord(bad, g, size, content, root), undefined, `byte ${at}`)
    }
    const flipped = (h: ContentHash): ContentHash => {
      const b = h.bytes()
      b[5]! ^= 0x80
      return ContentHash.fromBytes(b)
    }
    assert.equal(verifyChunkRecord(good, g, size, content, flipped(root)), undefined)
    assert.equal(verifyChunkRecord(good, g, size, flipped(content), root), undefined)
    assert.equal(verifyChunkRecord(good, g + 1, size, content, root), undefined)
    assert.equal(verifyChunkRecord(good, g, size - 1, content, root), undefined)
    assert.equal(verifyChunkRecord(good.subarray(1), g, size, content, root), undefined)
  })

  it('a changed data byte no longer matches its verified leaf hash', () => {
    const data = randomFillSync(new Uint8Array(2 * 65_536))
    const { content, root, index } = indexOf(data)
    const leaves = verifyChunkRecord(record(index, data.length, 1), 1, data.length, content, root)
    assert.ok(leaves !== undefined)
    const leaf = 20 // group 1, slot 4
    const bytes = data.slice(leaf * ChunkLeafSize, (leaf + 1) * ChunkLeafSize)
    const slot = (leaf - ChunkGroupLeaves) * HashSize
    const expected = new Uint8Array(leaves.subarray(slot, slot + HashSize))
    assert.deepEqual(new Uint8Array(leafHash(bytes)), expected)
    bytes[1234]! ^= 0x10
    assert.notDeepEqual(new Uint8Array(leafHash(bytes)), expected)
  })

  // The on-remote format, rebuilt here from its description (Hash objects, no shared code):
  // any change to how the module computes the tree that changes a root fails here.
  for (const size of [BlockSize, 3 * 1024 * 1024 + 12_345, 70_000, 4096, 1]) {
    it(`the root of a ${size}-byte block is the documented one`, () => {
      const sha = (...parts: Uint8Array[]): Uint8Array => {
        const h = createHash('sha256')
        for (const p of parts) h.update(p)
        return new Uint8Array(h.digest())
      }
      const data = randomFillSync(new Uint8Array(size))
      const leaves: Uint8Array[] = []
      for (let at = 0; at < size; at += 4096) leaves.push(sha(data.subarray(at, at + 4096)))
      let level: Uint8Array[] = []
      for (let g = 0; g * 16 < leaves.length; g++) {
        level.push(sha(Uint8Array.of(1), ...leaves.slice(g * 16, g * 16 + 16)))
      }
      let width = 1
      while (width < level.length) width *= 2
      while (level.length < width) level.push(new Uint8Array(32))
      while (level.length > 1) {
        const up: Uint8Array[] = []
        for (let i = 0; i < level.length; i += 2)
          up.push(sha(Uint8Array.of(2), level[i]!, level[i + 1]!))
        level = up
      }
      const sizeBytes = new Uint8Array(8)
      new DataView(sizeBytes.buffer).setBigUint64(0, BigInt(size))
      const content = sha(data)
      const root = sha(
        Uint8Array.of(3),
        new TextEncoder().encode('ditto-chunks-v1'),
        sizeBytes,
        content,
        level[0]!,
      )
      const got = indexOf(data)
      assert.deepEqual(got.content.bytes(), content)
      assert.deepEqual(got.root.bytes(), root)
    })
  }
})
