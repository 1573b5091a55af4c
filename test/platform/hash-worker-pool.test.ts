/**
 * The hashing threads: digests match, bytes come back, and threads are started only when
 * hashing falls behind and kept across the gaps of a steady stream (starting one costs far
 * more than hashing a block).
 */
import assert from 'node:assert/strict'
import { createHash, randomFillSync } from 'node:crypto'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { HashWorkerPool } from '../../src/platform/hash-worker-pool.js'

const MiB = 1024 * 1024

function block(): { data: Uint8Array; digest: Buffer } {
  const data = randomFillSync(new Uint8Array(MiB))
  return { data, digest: createHash('sha256').update(data).digest() }
}

describe('HashWorkerPool', () => {
  it('a kept state continues once: the digest of the bytes followed by a tail', async () => {
    const pool = new HashWorkerPool(1)
    const b = block()
    const tail = randomFillSync(new Uint8Array(94_208))
    const r = await pool.hash(new Uint8Array(b.data), { keep: true })
    assert.deepEqual(Buffer.from(r.digest), b.digest, 'the bytes alone, as without keep')
    // Held past the idle exit: the thread keeps the state as long as the job is open.
    await sleep(1200)
    const body = await r.continueWith!(tail)
    assert.deepEqual(Buffer.from(body!), createHash('sha256').update(b.data).update(tail).digest())
    await assert.rejects(r.continueWith!(tail), /once/)
    const shared = new Uint8Array(new SharedArrayBuffer(MiB))
    shared.set(b.data)
    const s = await pool.hashShared(shared, { keep: true })
    assert.equal(await s.continueWith!(null), undefined, 'a state let go')
    assert.equal(pool.stats().spawned, 1)
  })

  it('a second job queues behind a busy thread; a third starts another', async () => {
    const pool = new HashWorkerPool(2)
    const blocks = [block(), block(), block(), block()]
    const two = blocks.slice(0, 2).map((b) => pool.hash(new Uint8Array(b.data)))
    assert.equal(pool.stats().spawned, 1)
    const more = blocks.slice(2).map((b) => pool.hash(new Uint8Array(b.data)))
    assert.equal(pool.stats().spawned, 2)
    const done = await Promise.all([...two, ...more])
    done.forEach((r, i) => {
      assert.deepEqual(Buffer.from(r.digest), blocks[i]!.digest)
      assert.deepEqual(r.data, blocks[i]!.data)
    })
    assert.equal(pool.stats().spawned, 2, 'never more threads than the pool size')
  })

  it('a thread outlives the gaps of a steady stream of blocks', async () => {
    const pool = new HashWorkerPool(2)
    const b = block()
    for (let i = 0; i < 4; i++) {
      const r = await pool.hash(new Uint8Array(b.data))
      assert.deepEqual(Buffer.from(r.digest), b.digest)
      // A block every half second: a slow stream, still one thread for all of it.
      await sleep(500)
    }
    assert.deepEqual(pool.stats(), { jobs: 4, spawned: 1 })
  })
})
