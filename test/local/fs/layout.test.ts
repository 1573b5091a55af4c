import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { FsLayout } from '../../../src/local/fs/layout.js'

describe('FsLayout', () => {
  it('places a block under the SHA-256 of its payload ID, sharded by its first two hex digits', () => {
    const layout = new FsLayout('/base')
    const h = createHash('sha256').update('export/a.txt').digest('hex')
    assert.equal(
      layout.blockPath('export/a.txt', 3),
      join('/base/blocks', h.slice(0, 2), h, '3.blk'),
    )
  })

  it('gives distinct, bounded paths for IDs that differ only in separators or length', () => {
    const layout = new FsLayout('/base')
    const ids = ['a/b', 'a_b', 'a/b/', 'x'.repeat(1024), '世界']
    const paths = ids.map((id) => layout.blockPath(id, 0))
    assert.equal(new Set(paths).size, ids.length)
    for (const p of paths) assert.ok(p.length <= '/base/blocks/'.length + 3 + 64 + 1 + 5)
  })
})
