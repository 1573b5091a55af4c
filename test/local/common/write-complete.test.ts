/**
 * A new block completed in its write buffer is made Local with one metadata commit: its Dirty
 * row is skipped (the commit creates the row Local), so a sequential writer waits for one WAL
 * sync per 8 MiB block instead of two. A kill between the block file and that commit leaves a
 * file no row names, which recovery removes.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { pattern } from '../../../src/conformance/local-store/fixture.js'
import { BlockState, type FileBlock } from '../../../src/core/block.js'
import { BlockSize } from '../../../src/core/constants.js'
import { formatBlockId } from '../../../src/core/keys.js'
import { findFileBlock } from '../../../src/core/rows.js'
import { FsLocalStore } from '../../../src/local/fs/fs-local-store.js'
import { MemoryMetadataStore } from '../../../src/meta/memory/memory-metadata-store.js'

const MiB = 1024 * 1024

/** Counts row writes and records the state of each; can fail the next one (fault injection). */
function countingMetadata(metadata: MemoryMetadataStore) {
  const seen = { writes: 0, states: [] as BlockState[], failNext: false }
  const proxy = new Proxy(metadata, {
    get(target, p) {
      const v = Reflect.get(target, p, target)
      if (typeof v !== 'function') return v
      if (p !== 'putFileBlock' && p !== 'compareAndPutFileBlock') return v.bind(target)
      return async (row: FileBlock, ...rest: unknown[]) => {
        if (seen.failNext) {
          seen.failNext = false
          throw new Error('metadata unavailable')
        }
        seen.writes++
        seen.states.push(row.state)
        return v.call(target, row, ...rest)
      }
    },
  })
  return { metadata: proxy, seen }
}

async function writeBlockInPieces(store: FsLocalStore, data: Uint8Array): Promise<void> {
  for (let at = 0; at < data.length; at += MiB) {
    await store.writeAt('p', data.subarray(at, at + MiB), at)
  }
}

describe('a new block completed in its buffer', () => {
  it('becomes Local with one row write, no Dirty row first, and its bytes intact', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'write-complete-'))
    const base = await MemoryMetadataStore.open()
    const { metadata, seen } = countingMetadata(base)
    const store = await FsLocalStore.open({ metadata, dir, maxDisk: 0, maxMemory: 64 * MiB })
    t.after(async () => {
      await store.close()
      await base.close()
      await rm(dir, { recursive: true, force: true })
    })
    const data = pattern(BlockSize, 7)
    await writeBlockInPieces(store, data)
    assert.equal(seen.writes, 1, 'one row write for the completed block')
    assert.deepEqual(seen.states, [BlockState.Local])
    const row = await findFileBlock(base, formatBlockId('p', 0))
    assert.equal(row?.state, BlockState.Local)
    assert.equal(row?.dataSize, BlockSize)
    await store.flush('p')
    const out = new Uint8Array(BlockSize)
    await store.readAt('p', out, 0)
    assert.deepEqual(out, data)
  })

  it('leaves nothing after a kill between its file and the row commit', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'write-complete-'))
    const base = await MemoryMetadataStore.open()
    const { metadata, seen } = countingMetadata(base)
    t.after(async () => {
      await base.close()
      await rm(dir, { recursive: true, force: true })
    })
    const store = await FsLocalStore.open({ metadata, dir, maxDisk: 0, maxMemory: 64 * MiB })
    const data = pattern(BlockSize, 9)
    await writeBlockInPieces(store, data.subarray(0, BlockSize - MiB))
    seen.failNext = true
    await assert.rejects(
      store.writeAt('p', data.subarray(BlockSize - MiB), BlockSize - MiB),
      /metadata unavailable/,
    )
    assert.equal(await findFileBlock(base, formatBlockId('p', 0)), undefined, 'no row yet')
    // The process dies here: nothing was flushed, so nothing may survive.
    await store.abandon()
    const reopened = await FsLocalStore.open({ metadata: base, dir, maxDisk: 0 })
    t.after(() => reopened.close())
    assert.equal(await findFileBlock(base, formatBlockId('p', 0)), undefined)
    assert.equal(reopened.stats().diskUsed, 0, 'the leftover block file is removed')
  })
})
