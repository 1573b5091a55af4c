/**
 * One GET per block: readers that arrive while a block is being fetched or verified, and the
 * prefetcher running ahead of them, all share one fetch of each object.
 */
import assert from 'node:assert/strict'
import { randomFillSync } from 'node:crypto'
import { describe, it } from 'node:test'
import { setImmediate as tick } from 'node:timers/promises'
import type { AbortOptions } from '../../src/core/abort.js'
import { BlockSize } from '../../src/core/constants.js'
import { Fetcher } from '../../src/fetch/fetcher.js'
import { MemoryRemoteStore } from '../../src/remote/memory/index.js'
import { CountingRemote } from '../support/counting-remote.js'
import { makeRemoteOnly, openTestEngine } from '../support/engine-fixture.js'
import { randomRemoteBlock } from './random-remote-block.js'

/**
 * Counts GETs per key, whole or ranged (a block whose object carries its chunk index is
 * fetched as the range of its block part), and runs `afterBody` once a body has been handed
 * back.
 */
class GetCountingRemote extends CountingRemote {
  readonly gets = new Map<string, number>()
  afterBody: (() => void) | undefined

  override async readBlock(key: string, o?: AbortOptions): Promise<Uint8Array> {
    return this.#counted(key, () => super.readBlock(key, o))
  }

  override async readBlockRange(
    key: string,
    offset: number,
    length: number,
    o?: AbortOptions,
  ): Promise<Uint8Array> {
    return this.#counted(key, () => super.readBlockRange(key, offset, length, o))
  }

  async #counted(key: string, get: () => Promise<Uint8Array>): Promise<Uint8Array> {
    this.gets.set(key, (this.gets.get(key) ?? 0) + 1)
    const data = await get()
    const after = this.afterBody
    if (after !== undefined) setImmediate(after)
    return data
  }
}

describe('one fetch per block', () => {
  it('a reader arriving while the fetched block is being verified joins the fetch', async () => {
    const remote = new GetCountingRemote(new MemoryRemoteStore())
    const { data, key, row } = randomRemoteBlock()
    await remote.writeBlock(key, data)
    const fetcher = new Fetcher({ remote })
    let late: Promise<Uint8Array> | undefined
    // The body is in; the first reader is now checking its SHA-256.
    remote.afterBody = () => {
      remote.afterBody = undefined
      late = fetcher.fetchBlock(row)
    }
    const first = await fetcher.fetchBlock(row)
    while (late === undefined) await tick()
    const second = await late
    assert.deepEqual(first, data)
    assert.deepEqual(second, data)
    assert.equal(remote.gets.get(key), 1)
    assert.equal(fetcher.stats().sharedFetches, 1)
    await remote.close()
  })

  it('a reader arriving just after a shared fetch failed makes its own attempt', async () => {
    const remote = new GetCountingRemote(new MemoryRemoteStore())
    const { data, key, row } = randomRemoteBlock()
    await remote.writeBlock(key, data)
    let failures = 1
    remote.beforeRead = async () => {
      if (failures-- > 0) throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' })
    }
    const fetcher = new Fetcher({ remote })
    // Joins while the first GET is in flight: shares its failure.
    const first = fetcher.fetchBlock(row)
    const joined = fetcher.fetchBlock(row)
    // Arrives once the failure is known (the first reader's continuation), in the same turn
    // of the event loop: it must not inherit the failure.
    const later = first.then(
      () => assert.fail('the first GET should fail'),
      () => fetcher.fetchBlock(row),
    )
    await assert.rejects(joined, /connection reset/)
    assert.deepEqual(await later, data)
    assert.equal(remote.gets.get(key), 2)
    await remote.close()
  })

  it('concurrent sequential readers and the prefetcher GET each block once', async () => {
    const remote = new GetCountingRemote(new MemoryRemoteStore())
    // A little latency per GET, like a real server, so readers overlap fetches.
    remote.beforeRead = () => new Promise((r) => setTimeout(r, 5))
    await using t = await openTestEngine({
      remote: { store: remote },
      readBufferBytes: 256 * 1024 * 1024,
      prefetchWorkers: 4,
    })
    const blocks = 12
    const data = randomFillSync(new Uint8Array(blocks * BlockSize))
    await makeRemoteOnly(t, 'p', data)
    remote.gets.clear()
    const chunk = 1024 * 1024
    const reader = async (start: number): Promise<void> => {
      const dest = new Uint8Array(chunk)
      for (let at = start; at < data.length; at += chunk) {
        const n = await t.engine.readAt('p', dest, at)
        assert.equal(n, chunk)
        assert.ok(Buffer.from(dest).equals(data.subarray(at, at + chunk)), `bytes at ${at}`)
      }
    }
    await Promise.all([0, 0, chunk, 3 * chunk, 9 * chunk].map(reader))
    const counts = [...remote.gets.values()]
    assert.equal(counts.length, blocks, 'every block fetched')
    assert.deepEqual(
      counts.filter((c) => c > 1),
      [],
      `GETs per block: ${JSON.stringify(Object.fromEntries(remote.gets))}`,
    )
  })
})
