import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { deferred } from '../../src/core/abort.js'
import { BlockSize } from '../../src/core/constants.js'
import { createReadBuffer } from '../../src/readbuffer/create-read-buffer.js'
import { LruReadBuffer } from '../../src/readbuffer/lru-read-buffer.js'
import { NullReadBuffer } from '../../src/readbuffer/null-read-buffer.js'
import type { ReadBuffer, ReadObserver } from '../../src/readbuffer/read-buffer.js'

// Small blocks keep the tests light; the arithmetic is the same at 8 MiB.
const BS = 1024

function makeData(size: number, fill: number): Uint8Array {
  return new Uint8Array(size).fill(fill)
}

function newBuffer(maxBytes: number): ReadBuffer {
  return createReadBuffer(maxBytes, { blockSize: BS })
}

function hit(buf: ReadBuffer, pid: string, idx: number): boolean {
  return buf.get(pid, idx, new Uint8Array(BS), 0) !== undefined
}

/** Observer that records what the buffer reports. */
function recorder(): ReadObserver & { reads: string[]; resets: string[] } {
  const reads: string[] = []
  const resets: string[] = []
  return {
    reads,
    resets,
    onRead: (pid, idx) => reads.push(`${pid}:${idx}`),
    reset: (pid) => resets.push(pid),
  }
}

describe('createReadBuffer', () => {
  it('a budget of 0 gives the disabled null buffer [New_ZeroDisabled]', () => {
    const buf = createReadBuffer(0)
    assert.ok(buf instanceof NullReadBuffer)
    assert.equal(buf.enabled, false)
    assert.equal(buf.maxBytes, 0)
  })

  it('a negative budget gives the disabled null buffer [New_NegativeDisabled]', () => {
    const buf = createReadBuffer(-1)
    assert.ok(buf instanceof NullReadBuffer)
    assert.deepEqual(buf.stats(), {
      entries: 0,
      bytes: 0,
      maxBytes: 0,
      hits: 0,
      misses: 0,
      prefetchHits: 0,
      stalePuts: 0,
    })
  })

  it('a positive budget gives an LRU buffer with that budget and 8 MiB blocks [New_Positive]', async () => {
    await using buf = createReadBuffer(BS * 2)
    assert.ok(buf instanceof LruReadBuffer)
    assert.equal(buf.enabled, true)
    assert.equal(buf.maxBytes, BS * 2)
    assert.equal(buf.blockSize, BlockSize)
  })

  it('rejects a budget that is not a safe integer and a non-positive block size', () => {
    assert.throws(() => createReadBuffer(1.5), RangeError)
    assert.throws(() => createReadBuffer(Number.NaN), RangeError)
    assert.throws(() => createReadBuffer(100, { blockSize: 0 }), RangeError)
  })
})

describe('ReadBuffer get and put', () => {
  it('returns the bytes that were put [PutAndGet_Hit]', async () => {
    await using buf = newBuffer(BS * 4)
    const data = makeData(BS, 0xaa)
    assert.equal(buf.put('file1', 0, data), true)
    const dest = new Uint8Array(BS)
    assert.equal(buf.get('file1', 0, dest, 0), BS)
    assert.deepEqual(dest, data)
  })

  it('misses a block that was never put [Get_Miss]', async () => {
    await using buf = newBuffer(BS * 4)
    assert.equal(buf.get('nonexistent', 0, new Uint8Array(BS), 0), undefined)
    assert.equal(buf.stats().misses, 1)
  })

  it('copies on read: mutating the destination leaves the buffered block intact [Get_CopyOnRead]', async () => {
    await using buf = newBuffer(BS * 4)
    buf.put('file1', 0, makeData(BS, 0xbb))
    const dest = new Uint8Array(BS)
    buf.get('file1', 0, dest, 0)
    dest[0] = 0xff
    const again = new Uint8Array(BS)
    assert.equal(buf.get('file1', 0, again, 0), BS)
    assert.equal(again[0], 0xbb)
  })

  it('copies on put: mutating the source after put leaves the buffered block intact', async () => {
    await using buf = newBuffer(BS * 4)
    const data = makeData(BS, 0x11)
    buf.put('file1', 0, data)
    data.fill(0x22)
    const dest = new Uint8Array(BS)
    buf.get('file1', 0, dest, 0)
    assert.deepEqual(dest, makeData(BS, 0x11))
  })

  it('reads from an offset inside the block [Get_WithOffset]', async () => {
    await using buf = newBuffer(BS * 4)
    const data = makeData(BS, 0)
    data[512] = 0xcc
    data[513] = 0xdd
    buf.put('file1', 0, data)
    const dest = new Uint8Array(BS)
    assert.equal(buf.get('file1', 0, dest, 512), BS - 512)
    assert.equal(dest[0], 0xcc)
    assert.equal(dest[1], 0xdd)
  })

  it('copies only what fits into a short destination', async () => {
    await using buf = newBuffer(BS * 4)
    const data = Uint8Array.from({ length: BS }, (_, i) => i % 251)
    buf.put('f', 0, data)
    const dest = new Uint8Array(8)
    assert.equal(buf.get('f', 0, dest, 4), 8)
    assert.deepEqual(dest, data.subarray(4, 12))
  })

  it('misses when the offset is at or past the end of the block data [Get_OffsetBeyondData]', async () => {
    await using buf = newBuffer(BS * 4)
    buf.put('file1', 0, makeData(512, 0xaa))
    assert.equal(buf.get('file1', 0, new Uint8Array(BS), 512), undefined)
    assert.equal(buf.get('file1', 0, new Uint8Array(BS), 1000), undefined)
  })

  it('replaces the data of an existing block and adjusts the byte count [Put_UpdateExisting]', async () => {
    await using buf = newBuffer(BS * 4)
    buf.put('file1', 0, makeData(BS, 0xaa))
    buf.put('file1', 0, makeData(BS / 2, 0xbb))
    const dest = new Uint8Array(BS)
    assert.equal(buf.get('file1', 0, dest, 0), BS / 2)
    assert.equal(dest[0], 0xbb)
    assert.equal(buf.stats().entries, 1)
    assert.equal(buf.stats().bytes, BS / 2)
  })

  it('evicts the least recently used block when over budget [Put_EvictsLRU]', async () => {
    await using buf = newBuffer(BS * 2)
    buf.put('file1', 0, makeData(BS, 0xaa))
    buf.put('file1', 1, makeData(BS, 0xbb))
    buf.put('file1', 2, makeData(BS, 0xcc))
    assert.equal(hit(buf, 'file1', 0), false)
    assert.equal(hit(buf, 'file1', 1), true)
    assert.equal(hit(buf, 'file1', 2), true)
    assert.equal(buf.stats().bytes, BS * 2)
  })

  it('evicts as many blocks as a bigger block needs [Put_EvictsMultiple]', async () => {
    const small = 256
    await using buf = newBuffer(small * 2)
    buf.put('f', 0, makeData(small, 0xaa))
    buf.put('f', 1, makeData(small, 0xbb))
    buf.put('f', 2, makeData(small * 2, 0xcc))
    assert.equal(hit(buf, 'f', 0), false)
    assert.equal(hit(buf, 'f', 1), false)
    assert.equal(hit(buf, 'f', 2), true)
    assert.deepEqual([buf.stats().entries, buf.stats().bytes], [1, small * 2])
  })

  it('skips a block larger than the whole budget and keeps the byte count [Put_SkipsOversizedEntry]', async () => {
    await using buf = newBuffer(100)
    assert.equal(buf.put('f', 0, makeData(200, 0xaa)), false)
    assert.equal(hit(buf, 'f', 0), false)
    assert.equal(buf.stats().bytes, 0)
    assert.equal(buf.stats().entries, 0)
  })

  it('a read promotes a block so the other one is evicted first [LRU_Promotion]', async () => {
    await using buf = newBuffer(BS * 2)
    buf.put('f', 0, makeData(BS, 0xaa))
    buf.put('f', 1, makeData(BS, 0xbb))
    assert.equal(hit(buf, 'f', 0), true)
    buf.put('f', 2, makeData(BS, 0xcc))
    assert.equal(hit(buf, 'f', 0), true)
    assert.equal(hit(buf, 'f', 1), false)
    assert.equal(hit(buf, 'f', 2), true)
  })

  it('rejects a negative or fractional block index or offset as a programmer mistake', async () => {
    await using buf = newBuffer(BS * 2)
    assert.throws(() => buf.put('f', -1, makeData(1, 0)), RangeError)
    assert.throws(() => buf.put('f', 0.5, makeData(1, 0)), RangeError)
    assert.throws(() => buf.get('f', 0, new Uint8Array(1), -1), RangeError)
  })
})

describe('ReadBuffer invalidation and contains', () => {
  it('invalidate drops the block [Invalidate_Existing]', async () => {
    await using buf = newBuffer(BS * 4)
    buf.put('f', 0, makeData(BS, 0xaa))
    buf.invalidate('f', 0)
    assert.equal(hit(buf, 'f', 0), false)
    assert.deepEqual([buf.stats().entries, buf.stats().bytes], [0, 0])
  })

  it('invalidating a missing block changes nothing else [Invalidate_Missing]', async () => {
    await using buf = newBuffer(BS * 4)
    buf.put('f', 0, makeData(BS, 0xaa))
    buf.invalidate('nonexistent', 99)
    buf.invalidate('f', 99)
    assert.equal(hit(buf, 'f', 0), true)
  })

  // The upstream InvalidateFile/InvalidateAbove cases, through the helpers the engine calls.
  it('invalidateAndReset drops every block of the payload [InvalidateFile_RemovesAll]', async () => {
    await using buf = newBuffer(BS * 8)
    for (const idx of [0, 1, 2]) buf.put('file1', idx, makeData(BS, idx))
    buf.invalidateAndReset('file1')
    for (const idx of [0, 1, 2]) assert.equal(hit(buf, 'file1', idx), false)
    assert.equal(buf.stats().bytes, 0)
  })

  it('invalidateAndReset of an unknown payload is a no-op [InvalidateFile_EmptyIndex]', async () => {
    await using buf = newBuffer(BS * 4)
    buf.invalidateAndReset('unknown')
    assert.equal(buf.stats().entries, 0)
  })

  it('invalidateAndReset leaves other payloads alone [InvalidateFile_OnlyTargetFile]', async () => {
    await using buf = newBuffer(BS * 8)
    buf.put('file1', 0, makeData(BS, 0xaa))
    buf.put('file2', 0, makeData(BS, 0xbb))
    buf.invalidateAndReset('file1')
    assert.equal(hit(buf, 'file1', 0), false)
    assert.equal(hit(buf, 'file2', 0), true)
  })

  it('invalidateAboveSize drops blocks at or past the new size only [InvalidateAbove_RemovesHighBlocks]', async () => {
    await using buf = newBuffer(BS * 16)
    for (let i = 0; i < 6; i++) buf.put('file1', i, makeData(BS, i))
    buf.invalidateAboveSize('file1', 3 * BS)
    for (const idx of [0, 1, 2]) assert.equal(hit(buf, 'file1', idx), true)
    for (const idx of [3, 4, 5]) assert.equal(hit(buf, 'file1', idx), false)
  })

  it('invalidateAboveSize with nothing to drop is a no-op [InvalidateAbove_NoMatch]', async () => {
    await using buf = newBuffer(BS * 4)
    buf.put('f', 0, makeData(BS, 1))
    buf.invalidateAboveSize('unknown', 0)
    buf.invalidateAboveSize('f', BS)
    assert.equal(hit(buf, 'f', 0), true)
  })

  it('contains finds a buffered block [Contains_Hit]', async () => {
    await using buf = newBuffer(BS * 4)
    buf.put('f', 0, makeData(BS, 0xaa))
    assert.equal(buf.contains('f', 0), true)
  })

  it('contains misses an absent block [Contains_Miss]', async () => {
    await using buf = newBuffer(BS * 4)
    assert.equal(buf.contains('f', 99), false)
  })

  it('contains does not promote: the checked block is still evicted first', async () => {
    await using buf = newBuffer(BS * 2)
    buf.put('f', 0, makeData(BS, 0))
    buf.put('f', 1, makeData(BS, 1))
    assert.equal(buf.contains('f', 0), true)
    buf.put('f', 2, makeData(BS, 2))
    assert.equal(buf.contains('f', 0), false)
    assert.equal(buf.contains('f', 1), true)
  })

  it('close drops everything, later gets miss and later puts are dropped [Close_ClearsAll]', async () => {
    const buf = newBuffer(BS * 4)
    buf.put('f', 0, makeData(BS, 0xaa))
    await buf.close()
    assert.equal(hit(buf, 'f', 0), false)
    assert.equal(buf.put('f', 1, makeData(BS, 1)), false)
    assert.deepEqual([buf.stats().entries, buf.stats().bytes], [0, 0])
    await buf.close()
  })

  it('interleaved async puts, gets and contains keep the budget and never tear a block [Concurrency_ReadWrite]', async () => {
    await using buf = newBuffer(BS * 8)
    const torn: string[] = []
    const worker = async (id: number): Promise<void> => {
      for (let i = 0; i < 100; i++) {
        const idx = i % 4
        buf.put('file', idx, makeData(BS, id))
        await Promise.resolve()
        const dest = new Uint8Array(BS)
        const n = buf.get('file', idx, dest, 0)
        if (n !== undefined && dest.some((b) => b !== dest[0])) torn.push(`${id}:${i}`)
        buf.contains('file', idx)
        if (i % 7 === 0) buf.invalidate('file', (idx + 1) % 4)
        assert.ok(buf.stats().bytes <= BS * 8)
      }
    }
    await Promise.all(Array.from({ length: 16 }, (_, id) => worker(id)))
    assert.deepEqual(torn, [])
    const { entries, bytes } = buf.stats()
    assert.ok(entries <= 4)
    assert.equal(bytes, entries * BS)
  })
})

describe('ReadBuffer engine helpers', () => {
  it('invalidateRange inside one block drops only that block and resets the observer [InvalidateRange_SingleBlock]', async () => {
    await using buf = newBuffer(BS * 8)
    const obs = recorder()
    buf.attachObserver(obs)
    for (let i = 0; i < 4; i++) buf.put('f', i, makeData(BS, i))
    buf.invalidateRange('f', BS, BS)
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => buf.contains('f', i)),
      [true, false, true, true],
    )
    assert.deepEqual(obs.resets, ['f'])
  })

  it('invalidateRange across a block boundary drops both blocks [InvalidateRange_SpansMultipleBlocks]', async () => {
    await using buf = newBuffer(BS * 8)
    for (let i = 0; i < 4; i++) buf.put('f', i, makeData(BS, i))
    buf.invalidateRange('f', BS + 100, BS)
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => buf.contains('f', i)),
      [true, false, false, true],
    )
  })

  it('invalidateRange of length 0 is a no-op [InvalidateRange_ZeroLength]', async () => {
    await using buf = newBuffer(BS * 4)
    const obs = recorder()
    buf.attachObserver(obs)
    buf.put('f', 0, makeData(BS, 0xaa))
    const generation = buf.generation('f')
    buf.invalidateRange('f', 0, 0)
    assert.equal(buf.contains('f', 0), true)
    assert.equal(buf.generation('f'), generation)
    assert.deepEqual(obs.resets, [])
  })

  it('invalidateRange on the null buffer is a no-op [InvalidateRange_NilSafe]', () => {
    const buf = createReadBuffer(0, { blockSize: BS })
    buf.invalidateRange('f', 0, 100)
    buf.invalidateAboveSize('f', 0)
    buf.invalidateAndReset('f')
    assert.equal(buf.contains('f', 0), false)
  })

  it('invalidateAboveSize keeps the blocks below the new size and resets the observer', async () => {
    await using buf = newBuffer(BS * 8)
    const obs = recorder()
    buf.attachObserver(obs)
    for (let i = 0; i < 4; i++) buf.put('f', i, makeData(BS, i))
    buf.invalidateAboveSize('f', BS + 1)
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => buf.contains('f', i)),
      [true, true, false, false],
    )
    buf.invalidateAboveSize('f', 0)
    assert.equal(buf.contains('f', 0), false)
    assert.deepEqual(obs.resets, ['f', 'f'])
  })

  it('invalidateAndReset drops the whole payload and resets the observer', async () => {
    await using buf = newBuffer(BS * 8)
    const obs = recorder()
    buf.attachObserver(obs)
    buf.put('f', 0, makeData(BS, 0))
    buf.put('f', 5, makeData(BS, 5))
    buf.invalidateAndReset('f')
    assert.equal(buf.stats().entries, 0)
    assert.deepEqual(obs.resets, ['f'])
  })

  it('notifyRead of length 0 reports nothing [NotifyRead_ZeroLength]', async () => {
    await using buf = newBuffer(BS * 4)
    const obs = recorder()
    buf.attachObserver(obs)
    buf.notifyRead('f', 0, 0)
    assert.deepEqual(obs.reads, [])
  })

  it('notifyRead on the null buffer is a no-op [NotifyRead_NilSafe]', () => {
    const buf = createReadBuffer(0, { blockSize: BS })
    const obs = recorder()
    buf.attachObserver(obs)
    buf.notifyRead('f', 0, 100)
    assert.deepEqual(obs.reads, [])
  })

  it('notifyRead with no observer attached is a no-op [NotifyRead_NoPrefetcher]', async () => {
    await using buf = newBuffer(BS * 4)
    buf.notifyRead('f', 0, BS)
    assert.equal(buf.stats().hits + buf.stats().misses, 0)
  })

  it('notifyRead reports every covered block in order, so one multi-block read is sequential', async () => {
    await using buf = newBuffer(BS * 4)
    const obs = recorder()
    buf.attachObserver(obs)
    buf.notifyRead('f', BS - 1, BS + 2)
    assert.deepEqual(obs.reads, ['f:0', 'f:1', 'f:2'])
  })
})

describe('ReadBuffer generations', () => {
  it('a fill that raced a write is rejected: the stale block never enters the buffer', async () => {
    await using buf = newBuffer(BS * 4)
    // The "store" the filler reads from; the write replaces its bytes mid-fill.
    let stored = makeData(BS, 0x01)
    const gate = deferred<void>()
    // A filler as the read path and the prefetcher are: generation first, then read, then put.
    const fill = async (): Promise<boolean> => {
      const generation = buf.generation('f')
      const snapshot = stored // old bytes read before the write lands
      await gate.promise
      return buf.put('f', 0, snapshot, { generation })
    }
    const racing = fill()
    stored = makeData(BS, 0x02) // the write lands in the store...
    buf.invalidateRange('f', 0, 10) // ...then invalidates the buffer
    gate.resolve()
    assert.equal(await racing, false)
    assert.equal(buf.contains('f', 0), false)
    assert.equal(buf.stats().stalePuts, 1)
    // The next fill reads the new bytes.
    assert.equal(await fill(), true)
    const dest = new Uint8Array(BS)
    buf.get('f', 0, dest, 0)
    assert.equal(dest[0], 0x02)
  })

  it('every kind of invalidation of a payload bumps its generation, even with nothing buffered', async () => {
    await using buf = newBuffer(BS * 4)
    const bumps: Array<(b: ReadBuffer) => void> = [
      (b) => b.invalidate('f', 3),
      (b) => b.invalidateRange('f', 0, 1),
      (b) => b.invalidateAboveSize('f', 5),
      (b) => b.invalidateAndReset('f'),
    ]
    for (const bump of bumps) {
      const before = buf.generation('f')
      bump(buf)
      assert.notEqual(buf.generation('f'), before)
      assert.equal(buf.put('f', 0, makeData(BS, 0), { generation: before }), false)
    }
  })

  it('a put with the current generation is accepted, and other payloads keep theirs', async () => {
    await using buf = newBuffer(BS * 4)
    const a = buf.generation('a')
    const b = buf.generation('b')
    buf.invalidateAndReset('b')
    assert.equal(buf.generation('a'), a)
    assert.equal(buf.put('a', 0, makeData(BS, 1), { generation: a }), true)
    assert.equal(buf.put('b', 0, makeData(BS, 1), { generation: b }), false)
    assert.equal(buf.put('b', 0, makeData(BS, 1), { generation: buf.generation('b') }), true)
  })

  it('a generation is never reused, so a token from before an invalidation stays stale', async () => {
    await using buf = newBuffer(BS * 4)
    const seen = new Set<number>([buf.generation('f')])
    for (let i = 0; i < 50; i++) {
      buf.invalidate('f', 0)
      buf.invalidate('g', 0)
      const g = buf.generation('f')
      assert.equal(seen.has(g), false)
      seen.add(g)
    }
  })

  it('when the generation table overflows, every earlier token becomes stale (never accepted wrongly)', async () => {
    await using buf = createReadBuffer(BS * 4, { blockSize: BS, generationTableLimit: 2 })
    const token = buf.generation('quiet')
    buf.invalidate('p1', 0)
    buf.invalidate('p2', 0)
    buf.invalidate('p3', 0) // overflow: table reset
    assert.equal(buf.put('quiet', 0, makeData(BS, 1), { generation: token }), false)
    assert.equal(
      buf.put('quiet', 0, makeData(BS, 1), { generation: buf.generation('quiet') }),
      true,
    )
  })

  it('close makes every outstanding generation stale', async () => {
    const buf = newBuffer(BS * 4)
    const token = buf.generation('f')
    await buf.close()
    assert.notEqual(buf.generation('f'), token)
    assert.equal(buf.put('f', 0, makeData(BS, 1), { generation: token }), false)
  })
})

describe('ReadBuffer stats', () => {
  it('counts hits, misses, entries and bytes', async () => {
    await using buf = newBuffer(BS * 4)
    buf.put('f', 0, makeData(BS, 1))
    buf.put('f', 1, makeData(100, 1))
    hit(buf, 'f', 0)
    hit(buf, 'f', 0)
    hit(buf, 'f', 9)
    assert.deepEqual(buf.stats(), {
      entries: 2,
      bytes: BS + 100,
      maxBytes: BS * 4,
      hits: 2,
      misses: 1,
      prefetchHits: 0,
      stalePuts: 0,
    })
  })

  it('counts a prefetch hit once, on the first read of a block the prefetcher inserted', async () => {
    await using buf = newBuffer(BS * 4)
    buf.put('f', 0, makeData(BS, 1), { prefetched: true })
    buf.put('f', 1, makeData(BS, 1))
    hit(buf, 'f', 0)
    hit(buf, 'f', 0)
    hit(buf, 'f', 1)
    assert.deepEqual([buf.stats().hits, buf.stats().prefetchHits], [3, 1])
    buf.put('f', 0, makeData(BS, 2), { prefetched: true })
    hit(buf, 'f', 0)
    assert.equal(buf.stats().prefetchHits, 2)
  })

  it('the null buffer misses every get, drops every put and keeps zero stats', () => {
    const buf = createReadBuffer(0, { blockSize: BS })
    assert.equal(buf.put('f', 0, makeData(BS, 1)), false)
    assert.equal(buf.get('f', 0, new Uint8Array(BS), 0), undefined)
    assert.equal(buf.contains('f', 0), false)
    assert.equal(buf.stats().misses, 0)
  })
})

describe('ReadBuffer.clear', () => {
  it('drops every block, rejects fills started before it, and stays usable', async () => {
    const { createReadBuffer } = await import('../../src/readbuffer/create-read-buffer.js')
    const buffer = createReadBuffer(1024, { blockSize: 16 })
    buffer.put('a', 0, new Uint8Array(16).fill(1))
    buffer.put('b', 1, new Uint8Array(16).fill(2))
    const generation = buffer.generation('a')
    assert.equal(buffer.clear(), 2)
    assert.equal(buffer.stats().entries, 0)
    assert.equal(buffer.stats().bytes, 0)
    assert.equal(
      buffer.put('a', 2, new Uint8Array(16), { generation }),
      false,
      'stale fill dropped',
    )
    assert.ok(buffer.put('a', 3, new Uint8Array(16).fill(3)))
    const out = new Uint8Array(16)
    assert.equal(buffer.get('a', 3, out, 0), 16)
    assert.equal(createReadBuffer(0).clear(), 0)
  })
})
