/**
 * Small replacements (`beginReplace` content of at most SMALL_REPLACEMENT_BYTES): held in
 * memory and committed by one journal record, no staging payload and no rename; larger ones,
 * or ones that grow past the limit, go through staging with every held byte.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pattern, readAll } from '../../src/conformance/block-store/fixture.js'
import { BlockState } from '../../src/core/block.js'
import { BlockSize } from '../../src/core/constants.js'
import { SMALL_REPLACEMENT_BYTES } from '../../src/engine/replace.js'
import type { FsLocalStore } from '../../src/local/fs/fs-local-store.js'
import { openTestEngine } from '../support/engine-fixture.js'

describe('small replacements', () => {
  it('commit with one journal sync, replacing a remote-only payload whole', async () => {
    await using t = await openTestEngine({ readBufferBytes: 0 })
    const { engine } = t
    const local = t.local as FsLocalStore
    await engine.writeAt('p', pattern(BlockSize + 500, 1), 0)
    await engine.flush('p')
    await engine.drainAllUploads()
    const data = pattern(4096, 2)
    const before = local.journalStats()?.batches ?? 0
    const r = await engine.beginReplace('p')
    await r.writeAt(data.subarray(0, 1000), 0)
    await r.writeAt(data.subarray(1000), 1000)
    // Nothing is visible, and no hidden payload exists, before the commit.
    assert.equal(await engine.getSize('p'), BlockSize + 500)
    assert.deepEqual(
      (await engine.listPayloads()).items.map((i) => i.id),
      ['p'],
    )
    assert.equal((await r.commit()).size, 4096)
    assert.equal(local.journalStats()?.batches, before + 1, 'one journal record, one sync')
    assert.deepEqual(await readAll(engine, 'p'), data)
    const rows = await t.metadata.listFileBlocks('p')
    assert.deepEqual(
      rows.map((row) => [row.id, row.state, row.blockStoreKey]),
      [['p/0', BlockState.Local, '']],
    )
    // And it uploads like any other content.
    await engine.drainAllUploads()
    assert.equal((await t.metadata.getFileBlock('p/0')).state, BlockState.Remote)
  })

  it('a replacement growing past the limit is staged with the bytes held so far', async () => {
    await using t = await openTestEngine()
    const { engine } = t
    await engine.writeAt('g', pattern(100, 3), 0)
    await engine.flush('g')
    const head = pattern(5000, 4)
    const tail = pattern(3000, 5)
    const r = await engine.beginReplace('g')
    await r.writeAt(head, 0)
    await r.writeAt(tail, SMALL_REPLACEMENT_BYTES)
    assert.deepEqual(await readAll(engine, 'g'), pattern(100, 3))
    const done = await r.commit()
    const want = new Uint8Array(SMALL_REPLACEMENT_BYTES + 3000)
    want.set(head, 0)
    want.set(tail, SMALL_REPLACEMENT_BYTES)
    assert.equal(done.size, want.length)
    assert.deepEqual(await readAll(engine, 'g'), want)
    assert.deepEqual(
      (await engine.listPayloads()).items.map((i) => i.id),
      ['g'],
    )
  })

  it('holes and overwrites within held bytes read as written; abort leaves nothing', async () => {
    await using t = await openTestEngine()
    const { engine } = t
    const r = await engine.beginReplace('h')
    await r.writeAt(pattern(10, 6), 100)
    await r.writeAt(pattern(4, 7), 102)
    const want = new Uint8Array(110)
    want.set(pattern(10, 6), 100)
    want.set(pattern(4, 7), 102)
    assert.equal((await r.commit()).size, 110)
    assert.deepEqual(await readAll(engine, 'h'), want)

    const a = await engine.beginReplace('h')
    await a.writeAt(pattern(50, 8), 0)
    await a.abort()
    assert.deepEqual(await readAll(engine, 'h'), want)
    const n = await engine.beginReplace('never')
    await n.writeAt(pattern(50, 9), 0)
    await n.abort()
    assert.equal(await engine.exists('never'), false)
  })

  it('a memory local store, without a journal, takes the staged path', async () => {
    await using t = await openTestEngine({ local: { kind: 'memory' } })
    const { engine } = t
    const r = await engine.beginReplace('m')
    await r.writeAt(pattern(4096, 10), 0)
    assert.equal((await r.commit()).size, 4096)
    assert.deepEqual(await readAll(engine, 'm'), pattern(4096, 10))
  })
})
