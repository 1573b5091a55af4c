import assert from 'node:assert/strict'
import { mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { FsBlockMedium } from '../../../src/local/fs/fs-block-medium.js'
import { FsLayout } from '../../../src/local/fs/layout.js'

describe('FsBlockMedium.replace', () => {
  it('replaces a block file atomically, never writing over the old file in place', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medium-'))
    try {
      const layout = new FsLayout(dir)
      await layout.prepare()
      const medium = new FsBlockMedium(layout, true)
      const old = new Uint8Array(8192).fill(0xaa)
      await medium.replace('p', 0, old)
      const path = medium.localPath('p', 0)
      // A handle on the old file: if replace wrote in place, a kill between its write and its
      // truncate would leave new bytes followed by this old tail.
      const before = await open(path, 'r')
      try {
        const fresh = new Uint8Array(100).fill(0x55)
        await medium.replace('p', 0, fresh)
        assert.deepEqual(new Uint8Array(await readFile(path)), fresh)
        const seen = Buffer.alloc(8192)
        await before.read(seen, 0, 8192, 0)
        assert.ok(
          seen.every((b) => b === 0xaa),
          'the old file was modified in place',
        )
        const names = await readdir(join(path, '..'))
        assert.ok(!names.some((n) => n.includes('.tmp-')), 'no temporary file left')
      } finally {
        await before.close()
        await medium.close()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
