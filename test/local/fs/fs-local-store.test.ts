import assert from 'node:assert/strict'
import { mkdir, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { pattern, readLocal } from '../../../src/conformance/local-store/fixture.js'
import { BlockSize } from '../../../src/core/constants.js'
import { isBlockStoreError } from '../../../src/core/errors.js'
import { FsLocalStore } from '../../../src/local/fs/fs-local-store.js'
import { FsLayout } from '../../../src/local/fs/layout.js'
import { MemoryMetadataStore } from '../../../src/meta/memory/memory-metadata-store.js'
import { openFs, tempDir, walkBlocks } from '../helpers.js'

const MiB = 1024 * 1024

describe('FsLocalStore', () => {
  it('a full-block write is spilled at once: buffer released, file on disk', async (t) => {
    const { store, dir } = await openFs(t)
    const data = pattern(BlockSize)
    await store.writeAt('full', data, 0)
    assert.equal(store.stats().memUsed, 0)
    assert.equal(store.stats().diskUsed, BlockSize)
    assert.deepEqual(await walkBlocks(dir), { bytes: BlockSize, files: 1 })
    assert.deepEqual(await readLocal(store, 'full', 0, BlockSize), data)
  })

  it('a 20 MiB write spans three blocks and tracks the size', async (t) => {
    const { store } = await openFs(t)
    const data = pattern(20 * MiB)
    await store.writeAt('big', data, 0)
    assert.equal(await store.getFileSize('big'), 20 * MiB)
    assert.deepEqual(await readLocal(store, 'big', 0, 20 * MiB), data)
  })

  it('flush releases buffers and the data reads back from disk', async (t) => {
    const { store } = await openFs(t)
    await store.writeAt('f', pattern(4096), 0)
    assert.equal(store.stats().memBlockCount, 1)
    await store.flush('f')
    assert.equal(store.stats().memBlockCount, 0)
    assert.deepEqual(await readLocal(store, 'f', 0, 4096), pattern(4096))
  })

  it('writers past the memory budget wait and never exceed it', async (t) => {
    const { store } = await openFs(t, { maxMemory: 32 * MiB })
    let peak = 0
    for (let i = 0; i < 80; i++) {
      await store.writeAt('bp', pattern(MiB / 2, i), i * 3 * MiB)
      peak = Math.max(peak, store.stats().memUsed)
    }
    assert.ok(peak <= 32 * MiB, `peak ${peak}`)
    for (let i = 0; i < 80; i++) {
      assert.deepEqual(await readLocal(store, 'bp', i * 3 * MiB, MiB / 2), pattern(MiB / 2, i))
    }
  })

  it('stats count two buffered blocks, and none after flush', async (t) => {
    const { store } = await openFs(t)
    await store.writeAt('a', pattern(4096), 0)
    await store.writeAt('b', pattern(4096), 0)
    assert.equal(store.stats().memUsed, 2 * BlockSize)
    assert.equal(store.stats().memBlockCount, 2)
    await store.flush('a')
    await store.flush('b')
    assert.equal(store.stats().memBlockCount, 0)
    assert.equal(store.stats().diskUsed, 8192)
  })

  it('a small patch into a flushed block is written in place and reads back', async (t) => {
    const { store } = await openFs(t)
    await store.writeAt('d', pattern(BlockSize), 0)
    await store.flush('d')
    const patch = new TextEncoder().encode('PATCHED!')
    await store.writeAt('d', patch, 100)
    assert.equal(store.stats().memUsed, 0)
    const expected = pattern(BlockSize)
    expected.set(patch, 100)
    assert.deepEqual(await readLocal(store, 'd', 0, BlockSize), expected)
  })

  it('block files live under a hashed payload directory, never under the raw ID', async (t) => {
    const { store, dir } = await openFs(t)
    const ids = ['a/..b/..c', '-rf', 'x'.repeat(1000), 'export/docs/report.pdf', '世界']
    for (const id of ids) await store.writeAt(id, pattern(10), 0)
    for (const id of ids) await store.flush(id)
    const layout = new FsLayout(dir)
    for (const id of ids) {
      const path = layout.blockPath(id, 0)
      assert.ok(path.startsWith(join(dir, 'blocks')))
      assert.ok(path.length < dir.length + 100)
      assert.equal((await stat(path)).size, 10)
    }
  })

  it('opening a directory of a newer format fails with BS_UNSUPPORTED_FORMAT', async (t) => {
    const dir = await tempDir(t)
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'FORMAT'), JSON.stringify({ format: 'ditto-local', version: 99 }))
    const metadata = await MemoryMetadataStore.open()
    t.after(() => metadata.close())
    await assert.rejects(FsLocalStore.open({ dir, metadata }), (e) =>
      isBlockStoreError(e, 'BS_UNSUPPORTED_FORMAT'),
    )
    await writeFile(join(dir, 'FORMAT'), 'not json')
    await assert.rejects(FsLocalStore.open({ dir, metadata }), (e) =>
      isBlockStoreError(e, 'BS_UNSUPPORTED_FORMAT'),
    )
  })

  it('close flushes pending writes so a reopen reads them', async (t) => {
    const dir = await tempDir(t)
    const metadata = await MemoryMetadataStore.open()
    t.after(() => metadata.close())
    const first = await FsLocalStore.open({ dir, metadata })
    await first.writeAt('c', pattern(5000), 0)
    await first.close()
    const second = await FsLocalStore.open({ dir, metadata })
    t.after(() => second.close())
    assert.equal(second.recovery?.orphansDeleted, 0)
    assert.deepEqual(await readLocal(second, 'c', 0, 5000), pattern(5000))
  })
})

describe('FsLocalStore healthcheck', () => {
  it('is healthy on a writable directory', async (t) => {
    const { store } = await openFs(t)
    const r = await store.healthcheck()
    assert.equal(r.status, 'healthy')
    assert.ok(r.checkedAt > 0)
  })

  it('is unhealthy after close, with a message saying closed', async (t) => {
    const { store } = await openFs(t)
    await store.close()
    const r = await store.healthcheck()
    assert.equal(r.status, 'unhealthy')
    assert.match(r.message ?? '', /closed/)
  })

  it('is unhealthy when the directory was removed', async (t) => {
    const { store, dir } = await openFs(t)
    await rm(dir, { recursive: true, force: true })
    assert.equal((await store.healthcheck()).status, 'unhealthy')
  })

  it('is unhealthy when the directory is a file', async (t) => {
    const { store, dir } = await openFs(t)
    await rm(dir, { recursive: true, force: true })
    await writeFile(dir, 'x')
    const r = await store.healthcheck()
    assert.equal(r.status, 'unhealthy')
    assert.match(r.message ?? '', /not a directory/)
  })

  it('is unknown for an aborted signal', async (t) => {
    const { store } = await openFs(t)
    assert.equal((await store.healthcheck({ signal: AbortSignal.abort() })).status, 'unknown')
  })
})
