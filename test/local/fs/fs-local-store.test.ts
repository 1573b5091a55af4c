import assert from 'node:assert/strict'
import { mkdir, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { pattern, readLocal } from '../../../src/conformance/local-store/fixture.js'
import { BlockSize } from '../../../src/core/constants.js'
import { isBlockStoreError } from '../../../src/core/errors.js'
import { JOURNAL_MAX_BLOCK } from '../../../src/local/common/ops/journal-flush.js'
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
    // A small block holds a small buffer, not a whole block of the budget.
    assert.equal(store.stats().memUsed, 2 * 64 * 1024)
    assert.equal(store.stats().memBlockCount, 2)
    await store.flush('a')
    await store.flush('b')
    assert.equal(store.stats().memBlockCount, 0)
    assert.equal(store.stats().diskUsed, 8192)
  })

  it('small payloads hold small buffers: 2,000 of 4 KiB stay in a 256 MiB budget', async (t) => {
    const { store, dir } = await openFs(t, { maxMemory: 256 * MiB })
    for (let i = 0; i < 2000; i++) await store.writeAt(`s/${i}`, pattern(4096, i), 0)
    assert.equal(store.stats().memBlockCount, 2000, 'nothing spilled')
    assert.ok(store.stats().memUsed <= 256 * MiB)
    assert.deepEqual(await walkBlocks(dir), { bytes: 0, files: 0 })
    for (let i = 0; i < 2000; i += 97) {
      assert.deepEqual(await readLocal(store, `s/${i}`, 0, 4096), pattern(4096, i))
    }
  })

  it('a buffer grows with its block and keeps every byte, zeros in the gaps', async (t) => {
    const { store } = await openFs(t)
    // 4 KiB pieces with holes, past the 64 KiB and the 1 MiB buffer sizes, each time a read of
    // everything so far.
    const expected = new Uint8Array(3 * MiB)
    let size = 0
    const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b))
    for (const at of [0, 60 * 1024, 70 * 1024, MiB - 4096, MiB + 8192, 3 * MiB - 4096]) {
      const piece = pattern(4096, at)
      await store.writeAt('g', piece, at)
      expected.set(piece, at)
      size = Math.max(size, at + 4096)
      const got = await readLocal(store, 'g', 0, size)
      assert.ok(same(got, expected.subarray(0, size)), `after the write at ${at}`)
    }
    assert.equal(store.stats().memUsed, BlockSize)
    await store.flush('g')
    assert.ok(same(await readLocal(store, 'g', 0, size), expected))
  })

  it('a reused smaller buffer exposes none of its previous bytes', async (t) => {
    const { store } = await openFs(t)
    await store.writeAt('old', pattern(60 * 1024, 7), 0)
    await store.flush('old')
    // The flushed block's 64 KiB buffer is kept as a spare and handed to the next small block.
    await store.writeAt('new', pattern(100, 9), 30 * 1024)
    const expected = new Uint8Array(30 * 1024 + 100)
    expected.set(pattern(100, 9), 30 * 1024)
    assert.deepEqual(await readLocal(store, 'new', 0, expected.length), expected)
    await store.truncate('new', 60 * 1024)
    const grown = new Uint8Array(60 * 1024)
    grown.set(pattern(100, 9), 30 * 1024)
    assert.deepEqual(await readLocal(store, 'new', 0, grown.length), grown)
  })

  it('a budget smaller than one buffer still lets a block grow to a whole block', async (t) => {
    const { store } = await openFs(t, { maxMemory: 32 * 1024 })
    await store.writeAt('tiny', pattern(4096), 0)
    await store.writeAt('tiny', pattern(4096, 1), 2 * MiB)
    const expected = new Uint8Array(2 * MiB + 4096)
    expected.set(pattern(4096), 0)
    expected.set(pattern(4096, 1), 2 * MiB)
    assert.deepEqual(await readLocal(store, 'tiny', 0, expected.length), expected)
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
    // Over the size a journal record (and so a pack) takes: each block gets its file.
    const size = JOURNAL_MAX_BLOCK + 10
    for (const id of ids) await store.writeAt(id, pattern(size), 0)
    for (const id of ids) await store.flush(id)
    const layout = new FsLayout(dir)
    for (const id of ids) {
      const path = layout.blockPath(id, 0)
      assert.ok(path.startsWith(join(dir, 'blocks')))
      assert.ok(path.length < dir.length + 100)
      assert.equal((await stat(path)).size, size)
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
