import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FakeRemote, pattern, syncBlock } from '../../../src/conformance/local-store/fixture.js'
import { BlockState } from '../../../src/core/block.js'
import { BlockSize } from '../../../src/core/constants.js'
import { isBlockStoreError } from '../../../src/core/errors.js'
import { openFs, walkBlocks } from '../helpers.js'

/** Small deterministic PRNG (mulberry32). */
function rng(seed: number): (n: number) => number {
  let a = seed >>> 0
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return Math.floor((((x ^ (x >>> 14)) >>> 0) / 4294967296) * n)
  }
}

describe('FsLocalStore accounting', () => {
  it('disk counters match a directory walk and bytes match a model after thousands of random operations', async (t) => {
    const remote = new FakeRemote()
    const f = await openFs(t, { maxMemory: 3 * BlockSize, ...remote.hooks })
    const { store } = f
    const rand = rng(42)
    const ids = ['acc/a', 'acc/b', 'acc/c', 'acc/d']
    const model = new Map<string, Uint8Array>()
    const span = 2 * BlockSize + 4096
    const sizeOf = (id: string): number => model.get(id)?.length ?? 0
    const resize = (id: string, size: number): Uint8Array => {
      const next = new Uint8Array(size)
      next.set((model.get(id) ?? new Uint8Array(0)).subarray(0, size))
      model.set(id, next)
      return next
    }
    for (let op = 0; op < 2500; op++) {
      const id = ids[rand(ids.length)]!
      const kind = rand(100)
      if (kind < 55) {
        const len = 1 + rand(rand(4) === 0 ? 200_000 : 5000)
        const offset = rand(span - len)
        const data = pattern(len, op)
        await store.writeAt(id, data, offset)
        const m = sizeOf(id) < offset + len ? resize(id, offset + len) : model.get(id)!
        m.set(data, offset)
      } else if (kind < 70) {
        await store.flush(id)
      } else if (kind < 78) {
        const size = rand(span)
        await store.truncate(id, size)
        resize(id, size)
      } else if (kind < 81) {
        await store.delete(id)
        model.delete(id)
      } else if (kind < 86) {
        await store.releaseMemory(id)
      } else {
        // Sync one flushed block and sometimes evict it, as the engine would.
        await store.flush(id)
        const idx = rand(3)
        const row = await f.metadata.getFileBlock(`${id}/${idx}`).catch(() => undefined)
        if (row?.state === BlockState.Local) {
          await syncBlock(f, remote, id, idx)
          if (rand(2) === 0) assert.equal(await store.evictBlock(id, idx), true)
        }
      }
      if (op % 250 === 249) {
        // Records still in the journal become packs, and the packs compaction emptied go.
        await store.checkpoint()
        await store.compactPacks()
        await store.checkpoint()
        const walked = await walkBlocks(f.dir)
        assert.equal(store.stats().diskUsed, walked.bytes, `after op ${op}`)
      }
    }
    for (const id of ids) {
      const m = model.get(id) ?? new Uint8Array(0)
      const dest = new Uint8Array(span)
      try {
        const r = await store.readAt(id, dest, 0)
        assert.equal(r.length, m.length)
        for (const idx of r.remoteBlocks) {
          // Evicted blocks come from the remote, as the engine would fetch them.
          const row = await f.metadata.getFileBlock(`${id}/${idx}`)
          const bytes = remote.objects.get(row.blockStoreKey)!
          const want = Math.min(BlockSize, r.length - idx * BlockSize)
          const block = new Uint8Array(want)
          block.set(bytes.subarray(0, want))
          dest.set(block, idx * BlockSize)
        }
        assert.deepEqual(dest.subarray(0, r.length), m, id)
      } catch (err) {
        assert.ok(isBlockStoreError(err), String(err))
        throw err
      }
    }
    assert.equal(store.stats().diskUsed, (await walkBlocks(f.dir)).bytes)
  })
})
