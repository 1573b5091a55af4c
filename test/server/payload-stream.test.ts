import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { BlockStore } from '../../src/core/block-store.js'
import { isBlockStoreError } from '../../src/core/errors.js'
import { openBlockStore } from '../../src/engine/open.js'
import { WriteBatchBytes, writeFromStream } from '../../src/engine/payload-stream.js'

const KiB = 1024

function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed * 7) & 0xff
  return out
}

async function* chunked(data: Uint8Array, sizes: readonly number[]): AsyncGenerator<Uint8Array> {
  let pos = 0
  for (let i = 0; pos < data.length; i++) {
    const n = sizes[i % sizes.length]!
    yield data.subarray(pos, pos + n)
    pos += n
  }
}

/** A memory engine whose writeAt calls are recorded (the real engine still does the work). */
async function recordingEngine(): Promise<{ engine: BlockStore; calls: Uint8Array[] }> {
  const engine = await openBlockStore({ local: { kind: 'memory' }, metadata: { kind: 'memory' } })
  const calls: Uint8Array[] = []
  const writeAt = engine.writeAt.bind(engine)
  engine.writeAt = (id, data, offset, o) => {
    calls.push(data)
    return writeAt(id, data, offset, o)
  }
  return { engine, calls }
}

async function readAll(engine: BlockStore, id: string): Promise<Uint8Array> {
  const out = new Uint8Array(await engine.getSize(id))
  await engine.readAt(id, out, 0)
  return out
}

describe('writeFromStream', () => {
  it('writes bodies of every size and chunking byte for byte at the given offset', async () => {
    const { engine } = await recordingEngine()
    try {
      const sizes = [0, 1, 64 * KiB - 1, 64 * KiB, 64 * KiB + 1, 3 * WriteBatchBytes + 5]
      for (const [i, size] of sizes.entries()) {
        const body = bytes(size, i)
        const id = `p${i}`
        await engine.writeAt(id, new Uint8Array([9]), 0)
        const n = await writeFromStream(engine, id, chunked(body, [1, 4093, 65536, 7]), {
          offset: 1,
        })
        assert.equal(n, size)
        const back = await readAll(engine, id)
        assert.equal(back[0], 9)
        assert.deepEqual(back.subarray(1), body)
      }
    } finally {
      await engine.close()
    }
  })

  it('hands writeAt fresh memory sized to small bodies and never above one batch', async () => {
    const { engine, calls } = await recordingEngine()
    try {
      await writeFromStream(engine, 'small', chunked(bytes(4 * KiB, 1), [4 * KiB]))
      assert.equal(calls.length, 1)
      assert.ok(calls[0]!.buffer.byteLength <= 64 * KiB, `${calls[0]!.buffer.byteLength} bytes`)
      calls.length = 0
      await writeFromStream(engine, 'big', chunked(bytes(5 * WriteBatchBytes, 2), [100_000]))
      assert.ok(calls.every((c) => c.byteLength <= WriteBatchBytes))
      assert.equal(new Set(calls.map((c) => c.buffer)).size, calls.length, 'memory reused')
      assert.ok(calls.length <= 10, `${calls.length} writes for 5 batches`)
    } finally {
      await engine.close()
    }
  })

  it('with the announced length: a one-piece body goes as it is, batches never exceed the rest', async () => {
    const { engine, calls } = await recordingEngine()
    try {
      const small = bytes(4 * KiB, 4)
      await writeFromStream(engine, 'one', chunked(small, [4 * KiB]), { expectedBytes: 4 * KiB })
      assert.equal(calls.length, 1)
      assert.equal(calls[0]!.buffer, small.buffer, 'the piece itself, no batch copy')
      assert.deepEqual(await readAll(engine, 'one'), small)
      calls.length = 0
      // Two pieces: one batch, sized to the body instead of the first 64 KiB batch.
      const two = bytes(6 * KiB, 5)
      await writeFromStream(engine, 'two', chunked(two, [2 * KiB]), { expectedBytes: 6 * KiB })
      assert.equal(calls.length, 1)
      assert.equal(calls[0]!.buffer.byteLength, 6 * KiB)
      assert.deepEqual(await readAll(engine, 'two'), two)
    } finally {
      await engine.close()
    }
  })

  it('a wrong announced length is only a hint: every byte is written either way', async () => {
    const { engine } = await recordingEngine()
    try {
      const cases: [number, number][] = [
        [10 * KiB, 4 * KiB],
        [4 * KiB, 10 * KiB],
        [4 * KiB, 0],
        [3 * WriteBatchBytes + 1, 2 * KiB],
      ]
      for (const [i, [size, announced]] of cases.entries()) {
        const body = bytes(size, 10 + i)
        const n = await writeFromStream(engine, `h${i}`, chunked(body, [4 * KiB, 1, 70_000]), {
          expectedBytes: announced,
        })
        assert.equal(n, size)
        assert.deepEqual(await readAll(engine, `h${i}`), body, `case ${i}`)
      }
    } finally {
      await engine.close()
    }
  })

  it('rejects a body longer than maxBytes with BS_TOO_LARGE', async () => {
    const { engine } = await recordingEngine()
    try {
      await assert.rejects(
        writeFromStream(engine, 'x', chunked(bytes(10 * KiB, 3), [4 * KiB]), { maxBytes: 9000 }),
        (err) => isBlockStoreError(err, 'BS_TOO_LARGE'),
      )
    } finally {
      await engine.close()
    }
  })
})
