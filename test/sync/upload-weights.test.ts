/**
 * The uploader bounds its work in bytes, not blocks: many small blocks go to the remote at
 * once (an fs remote group-commits their syncs, an S3 PUT's round trip overlaps), while full
 * blocks keep to `parallelUploads` on the wire. The semaphore behind it is first come, first
 * served, so a full block is never starved by small ones arriving behind it.
 */
import assert from 'node:assert/strict'
import { randomFillSync } from 'node:crypto'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { BlockSize } from '../../src/core/constants.js'
import { parseChunkIndexKey } from '../../src/core/keys.js'
import { Semaphore } from '../../src/core/semaphore.js'
import { MemoryRemoteStore } from '../../src/remote/memory/index.js'
import { BufferPool } from '../../src/sync/buffer-pool.js'
import { MIN_WEIGHT, weightOf } from '../../src/sync/upload-weight.js'
import { CountingRemote } from '../support/counting-remote.js'
import { manualUploads, openTestEngine } from '../support/engine-fixture.js'

/** Counts block writes (not chunk indexes) in flight, each held `holdMs`. */
class SlowRemote extends CountingRemote {
  blocksInFlight = 0
  maxBlocksInFlight = 0

  constructor(holdMs: number) {
    super(new MemoryRemoteStore())
    this.beforeWrite = async (key) => {
      if (parseChunkIndexKey(key) !== undefined) return
      this.blocksInFlight++
      this.maxBlocksInFlight = Math.max(this.maxBlocksInFlight, this.blocksInFlight)
      await sleep(holdMs)
      this.blocksInFlight--
    }
  }
}

async function drainPayloads(remote: SlowRemote, sizes: readonly number[]): Promise<void> {
  await using t = await openTestEngine({
    remote: { store: remote },
    syncer: { ...manualUploads, parallelUploads: 2 },
  })
  const payloads = sizes.map((size, i) => ({
    id: `p${i}`,
    data: randomFillSync(new Uint8Array(size)),
  }))
  for (const p of payloads) {
    await t.engine.writeAt(p.id, p.data, 0)
    await t.engine.flush(p.id)
  }
  const report = await t.engine.drainAllUploads()
  assert.equal(report.failed.length, 0)
  assert.equal(
    report.uploaded,
    sizes.reduce((n, s) => n + Math.ceil(s / BlockSize), 0),
  )
  for (const p of payloads) {
    const out = new Uint8Array(p.data.length)
    assert.equal(await t.engine.readAt(p.id, out, 0), p.data.length)
    assert.deepEqual(out, p.data, `${p.id} reads back as written`)
  }
}

describe('upload bounds in bytes', () => {
  it('sends many small blocks at once, up to 16 per upload slot', async () => {
    const remote = new SlowRemote(30)
    await drainPayloads(
      remote,
      Array.from({ length: 48 }, (_, i) => 4096 + i * 1000),
    )
    // Two slots counted as blocks allowed 2; in bytes, 2 x 16 small ones.
    assert.ok(remote.maxBlocksInFlight > 2, `${remote.maxBlocksInFlight} small blocks in flight`)
    assert.ok(remote.maxBlocksInFlight <= 2 * (BlockSize / MIN_WEIGHT))
  })

  it('keeps full blocks to parallelUploads on the wire', async () => {
    const remote = new SlowRemote(30)
    await drainPayloads(remote, [3 * BlockSize, BlockSize, 2 * BlockSize])
    assert.equal(remote.maxBlocksInFlight, 2)
  })

  it('weighs a block by its bytes, at least MIN_WEIGHT, a full block when unknown', () => {
    assert.equal(weightOf(1), MIN_WEIGHT)
    assert.equal(weightOf(3 * MIN_WEIGHT), 3 * MIN_WEIGHT)
    assert.equal(weightOf(BlockSize), BlockSize)
    assert.equal(weightOf(0), BlockSize)
  })
})

describe('weighted semaphore', () => {
  it('serves waiters in order: a heavy one is not overtaken by light ones behind it', async () => {
    const s = new Semaphore(10)
    const order: string[] = []
    const first = await s.acquire(6)
    const heavy = s.acquire(8).then((release) => {
      order.push('heavy')
      return release
    })
    const light = s.acquire(1).then((release) => {
      order.push('light')
      return release
    })
    await sleep(5)
    assert.deepEqual(order, [], 'the light one waits behind the heavy one though 4 are free')
    first()
    const releaseHeavy = await heavy
    await sleep(5)
    assert.deepEqual(order, ['heavy', 'light'], 'then both fit (8 + 1 of 10)')
    releaseHeavy()
    ;(await light)()
    // A weight above the capacity runs alone instead of waiting forever; release is idempotent.
    const huge = await s.acquire(50)
    huge()
    huge()
    const all = await s.acquire(10)
    all()
  })

  it('runs a function holding its weight and gives it back when the function fails', async () => {
    const s = new Semaphore(2)
    await assert.rejects(
      s.run(async () => {
        throw new Error('boom')
      }, 2),
      /boom/,
    )
    assert.equal(await s.run(async () => 'ok', 2), 'ok')
  })
})

describe('snapshot buffers by size class', () => {
  it('hands out the smallest class that fits and keeps a block size worth of each', () => {
    const pool = new BufferPool(BlockSize, 1)
    const small = pool.take(5000)
    assert.equal(small.length, 64 * 1024)
    assert.equal(pool.take(64 * 1024 + 1).length, 128 * 1024)
    assert.equal(pool.take(BlockSize - 1).length, BlockSize)
    assert.equal(pool.take().length, BlockSize)
    pool.give(small)
    assert.equal(pool.idle, 1)
    assert.equal(pool.take(100).buffer, small.buffer, 'a free buffer of the class is reused')
    const full = [pool.take(), pool.take()]
    for (const b of full) pool.give(b)
    assert.equal(pool.idle, 1, 'one full block kept, the second dropped')
    pool.give(new Uint8Array(new SharedArrayBuffer(100_000)))
    assert.equal(pool.idle, 1, 'a buffer of no class is not ours')
  })
})
