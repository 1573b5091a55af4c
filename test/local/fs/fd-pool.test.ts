import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { FdPool } from '../../../src/local/fs/fd-pool.js'
import { tempDir } from '../helpers.js'

describe('FdPool', () => {
  it('keeps at most its size of idle handles open', async (t) => {
    const dir = await tempDir(t)
    const pool = new FdPool(2)
    t.after(() => pool.closeAll())
    for (const name of ['a', 'b', 'c', 'd']) {
      await pool.use(join(dir, name), true, (fh) => fh.write('x', 0))
    }
    assert.equal(pool.size, 2)
    assert.equal(await readFile(join(dir, 'a'), 'utf8'), 'x')
  })

  it('never closes a handle under its user when it is trimmed or invalidated', async (t) => {
    const dir = await tempDir(t)
    const pool = new FdPool(1)
    t.after(() => pool.closeAll())
    const path = join(dir, 'busy')
    await pool.use(path, true, async (fh) => {
      await pool.use(join(dir, 'other'), true, (o) => o.write('o', 0))
      await pool.close(path)
      await fh.write('still open', 0)
    })
    assert.equal(await readFile(path, 'utf8'), 'still open')
  })

  it('reports a failed open and does not keep the failed handle', async (t) => {
    const dir = await tempDir(t)
    const pool = new FdPool()
    await assert.rejects(
      pool.use(join(dir, 'missing'), false, async () => 1),
      (e: NodeJS.ErrnoException) => e.code === 'ENOENT',
    )
    assert.equal(pool.size, 0)
  })
})
