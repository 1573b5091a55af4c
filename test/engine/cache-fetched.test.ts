/** Which fetched remote blocks the engine copies to the local tier (`cacheFetchedBlocks`). */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pattern } from '../../src/conformance/block-store/fixture.js'
import { hasLocalFile } from '../../src/core/block.js'
import { BlockSize } from '../../src/core/constants.js'
import { BlockStoreError } from '../../src/core/errors.js'
import { formatBlockId } from '../../src/core/keys.js'
import { findFileBlock } from '../../src/core/rows.js'
import { makeRemoteOnly, openTestEngine, type TestEngine } from '../support/engine-fixture.js'

const BLOCKS = 6
const PID = 'cached'

/** Indexes of the blocks with a local copy, once the engine's background copies are done. */
async function cachedBlocks(t: TestEngine): Promise<number[]> {
  // Close waits for the background copies; the metadata store outlives the engine here.
  await t.engine.close()
  const out: number[] = []
  for (let idx = 0; idx < BLOCKS; idx++) {
    const row = await findFileBlock(t.metadata, formatBlockId(PID, idx))
    if (row !== undefined && hasLocalFile(row)) out.push(idx)
  }
  return out
}

async function readAll(t: TestEngine, data: Uint8Array): Promise<void> {
  const chunk = new Uint8Array(1024 * 1024)
  for (let at = 0; at < data.length; at += chunk.length) {
    const n = await t.engine.readAt(PID, chunk, at)
    assert.equal(n, chunk.length)
    assert.ok(Buffer.from(chunk).equals(data.subarray(at, at + n)), `bytes at ${at}`)
  }
}

async function readRandom(t: TestEngine, data: Uint8Array, blocks: number[]): Promise<void> {
  const dest = new Uint8Array(4096)
  for (const idx of blocks) {
    const at = idx * BlockSize + 12_345
    assert.equal(await t.engine.readAt(PID, dest, at), dest.length)
    assert.ok(Buffer.from(dest).equals(data.subarray(at, at + dest.length)))
    // One copy at a time: give this block's copy time to land before the next read.
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('caching fetched blocks on the local tier', () => {
  it('by default a cold sequential stream is not copied to disk; random reads are', async () => {
    const data = pattern(BLOCKS * BlockSize, 7)
    {
      await using t = await openTestEngine()
      await makeRemoteOnly(t, PID, data)
      await readAll(t, data)
      const cached = await cachedBlocks(t)
      // The first read cannot know it starts a stream; every block after it is streamed.
      assert.deepEqual(
        cached.filter((i) => i >= 1),
        [],
      )
      assert.equal(t.remote.calls.readBlock, BLOCKS)
    }
    {
      // Whole-block fetches (small random reads otherwise take verified ranges, which leave
      // no whole block to copy).
      await using t = await openTestEngine({ rangedReadThreshold: 0 })
      await makeRemoteOnly(t, PID, data)
      await readRandom(t, data, [4, 1])
      assert.deepEqual(await cachedBlocks(t), [1, 4])
    }
  })

  it("'never' copies nothing, 'always' copies streamed blocks too", async () => {
    const data = pattern(BLOCKS * BlockSize, 8)
    {
      await using t = await openTestEngine({ cacheFetchedBlocks: 'never' })
      await makeRemoteOnly(t, PID, data)
      await readRandom(t, data, [4, 1])
      assert.deepEqual(await cachedBlocks(t), [])
    }
    {
      await using t = await openTestEngine({ cacheFetchedBlocks: 'always', prefetchWorkers: 0 })
      await makeRemoteOnly(t, PID, data)
      // One 8 MiB read per block, each waiting for its copy's predecessor to settle.
      const dest = new Uint8Array(BlockSize)
      for (let idx = 0; idx < BLOCKS; idx++) {
        assert.equal(await t.engine.readAt(PID, dest, idx * BlockSize), BlockSize)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      assert.ok((await cachedBlocks(t)).filter((i) => i >= 1).length > 0)
    }
  })

  it('a failure to copy a fetched block is not a read failure', async () => {
    const data = pattern(BLOCKS * BlockSize, 9)
    await using t = await openTestEngine({ cacheFetchedBlocks: 'always' })
    await makeRemoteOnly(t, PID, data)
    let attempts = 0
    t.local.writeFromRemote = async () => {
      attempts++
      throw new BlockStoreError('BS_INTERNAL', 'injected: disk refused the copy')
    }
    await readRandom(t, data, [4, 1, 3])
    await readAll(t, data)
    assert.ok(attempts > 0)
    assert.deepEqual(await cachedBlocks(t), [])
  })
})
