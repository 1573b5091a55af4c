import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { FsLayout } from '../../../src/local/fs/layout.js'

const shardOf = (id: string) => createHash('sha256').update(id).digest('hex').slice(0, 2)

describe('FsLayout', () => {
  it('names a block by its payload ID spelled in base64url, in the shard of the ID hash', () => {
    const layout = new FsLayout('/base')
    const stem = Buffer.from('export/a.txt').toString('base64url')
    assert.equal(
      layout.blockPath('export/a.txt', 3),
      join('/base/blocks', shardOf('export/a.txt'), `${stem}.3.blk`),
    )
    assert.equal(layout.place('export/a.txt').idFile, undefined, 'no ID file: the name says it')
  })

  it('hashes an ID too long to spell out, and keeps the ID in a file beside its blocks', () => {
    const layout = new FsLayout('/base')
    const id = 'x'.repeat(151)
    const h = createHash('sha256').update(id).digest('hex')
    assert.equal(layout.blockPath(id, 0), join('/base/blocks', h.slice(0, 2), `~${h}.0.blk`))
    assert.equal(layout.place(id).idFile, join('/base/blocks', h.slice(0, 2), `~${h}.id`))
    assert.equal(FsLayout.idOfStem(`~${h}`), undefined)
    assert.ok(FsLayout.isHashedStem(`~${h}`))
  })

  it('reads the ID back from a spelled stem, and only from the canonical spelling of a valid ID', () => {
    for (const id of ['a', 'a/b', '世界/ü', 'x'.repeat(150), '.ditto/staging/1']) {
      assert.equal(FsLayout.idOfStem(FsLayout.stemOf(id)), id)
    }
    assert.equal(FsLayout.idOfStem(Buffer.from('/abs').toString('base64url')), undefined)
    assert.equal(FsLayout.idOfStem(Buffer.from('a//b').toString('base64url')), undefined)
    assert.equal(FsLayout.idOfStem('YQ=='), undefined, 'padding is not base64url')
    assert.equal(FsLayout.idOfStem('YR'), undefined, 'not canonical: decodes to "a" too')
    assert.equal(FsLayout.idOfStem(''), undefined)
  })

  it('gives distinct, bounded names for IDs that differ only in separators or length', () => {
    const layout = new FsLayout('/base')
    const ids = ['a/b', 'a_b', 'a/b/c', 'x'.repeat(1024), 'x'.repeat(150), '世界']
    const paths = ids.map((id) => layout.blockPath(id, 4294967295))
    assert.equal(new Set(paths).size, ids.length)
    for (const p of paths) {
      const name = p.split('/').at(-1) ?? ''
      // Room for the longest staged or renamed name beside it, under the 255-byte limit.
      assert.ok(name.length + '.0123456789ab.ren'.length <= 255, name)
      assert.equal(name.split('.').length, 3)
    }
  })
})
