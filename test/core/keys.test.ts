import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  blockIdBelongsToFile,
  formatBlockId,
  formatStoreKey,
  keyBelongsToFile,
  MaxBlockIndex,
  parseBlockId,
  parseBlockIdx,
  parseStoreKey,
} from '../../src/core/index.js'

describe('store keys', () => {
  it('formats "{payloadId}/block-{idx}"', () => {
    assert.equal(formatStoreKey('export/a.txt', 3), 'export/a.txt/block-3')
    assert.equal(formatStoreKey('export/file.txt', 5), 'export/file.txt/block-5')
  })

  it('parses on the last "/block-" so directories named block-N are safe', () => {
    assert.deepEqual(parseStoreKey('export/a.txt/block-3'), {
      payloadId: 'export/a.txt',
      blockIdx: 3,
    })
    assert.deepEqual(parseStoreKey('share/block-7/file/block-12'), {
      payloadId: 'share/block-7/file',
      blockIdx: 12,
    })
    assert.deepEqual(parseStoreKey('root/block-0'), { payloadId: 'root', blockIdx: 0 })
  })

  it('rejects invalid keys distinctly from block 0', () => {
    for (const bad of [
      '',
      'block-0',
      '/block-0',
      'a/block-',
      'a/block-x',
      'a/block--1',
      'a/block-+1',
      'a/block- 1',
      'a/block-1 ',
      'a/block-01',
      'a/block-1.5',
      'a/blocks-1',
      `a/block-${MaxBlockIndex + 1}`,
      'a/block-99999999999999999999',
    ]) {
      assert.equal(parseStoreKey(bad), undefined, bad)
    }
  })

  it('tells whether a key belongs to a payload', () => {
    assert.ok(keyBelongsToFile('a/b/block-0', 'a/b'))
    assert.ok(!keyBelongsToFile('a/b/block-', 'a/b'))
    assert.ok(!keyBelongsToFile('a/bc/block-0', 'a/b'))
    assert.ok(!keyBelongsToFile('a/b-cow-1/block-0', 'a/b'))
  })

  it('parses the block index for a known payload or says it cannot', () => {
    assert.equal(parseBlockIdx('a/b/block-0', 'a/b'), 0)
    assert.equal(parseBlockIdx('a/b/block-42', 'a/b'), 42)
    assert.equal(parseBlockIdx('a/b/block-x', 'a/b'), undefined)
    assert.equal(parseBlockIdx('other/block-1', 'a/b'), undefined)
  })
})

describe('block IDs', () => {
  it('formats and parses "{payloadId}/{idx}" on the last slash', () => {
    assert.equal(formatBlockId('share/dir/file', 3), 'share/dir/file/3')
    assert.deepEqual(parseBlockId('share/dir/file/3'), { payloadId: 'share/dir/file', blockIdx: 3 })
    assert.deepEqual(parseBlockId('share/7/12'), { payloadId: 'share/7', blockIdx: 12 })
  })

  it('rejects invalid block IDs', () => {
    for (const bad of ['', '3', '/3', 'a/', 'a/x', 'a/-1', 'a/03']) {
      assert.equal(parseBlockId(bad), undefined, bad)
    }
  })

  it('tells whether a block ID belongs to a payload', () => {
    assert.ok(blockIdBelongsToFile('a/b/0', 'a/b'))
    assert.ok(!blockIdBelongsToFile('a/b', 'a/b'))
    assert.ok(!blockIdBelongsToFile('a/bc/0', 'a/b'))
    assert.ok(!blockIdBelongsToFile('a/b/c/0', 'a/b'))
  })
})

describe('content keys', () => {
  it('formats "blocks/{hh}/{hex}" and parses it back', async () => {
    const { ContentHash, formatContentKey, parseContentKey } = await import(
      '../../src/core/index.js'
    )
    const bytes = new Uint8Array(32).map((_, i) => i * 7)
    const h = ContentHash.fromBytes(bytes)
    const key = formatContentKey(h)
    assert.equal(key, `blocks/${h.toString().slice(0, 2)}/${h.toString()}`)
    assert.equal(parseContentKey(key), h.toString())
    assert.equal(parseContentKey(`blocks/ff/${h.toString()}`), undefined)
    assert.equal(parseContentKey('export/a/block-0'), undefined)
    assert.equal(parseContentKey(`${key}x`), undefined)
  })
})
