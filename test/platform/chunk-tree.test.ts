/**
 * The chunk hash tree: every record of every block size verifies against its root, the
 * worker (one pass with the block hash) and this thread build the same index, and a change
 * to one byte of a record, of the root, of the content hash or of a leaf is caught.
 */
import assert from 'node:assert/strict'
import { randomFillSync } from 'node:crypto'
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
      assert.ok(got.chunks.root.equals(expected.root))
      assert.deepEqual(got.chunks.index, expected.index)
      assert.deepEqual(got.data, data)
    })
  }

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
})
