/**
 * Batch flushes (`flushMany`, `flushAll`) on real stores: fs local + SQLite metadata with a
 * simulated kill after the batch returned, and the memory local store; faults are injected by
 * wrapping the local store's `flush` (the bytes always go to the real store).
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { pattern, readAll } from '../../src/conformance/index.js'
import { BlockSize } from '../../src/core/constants.js'
import { BlockStoreError, isBlockStoreError } from '../../src/core/errors.js'
import type { FlushedBlock, LocalStore } from '../../src/core/local-store.js'
import type { Engine } from '../../src/engine/engine.js'
import { openBlockStore } from '../../src/engine/index.js'
import { FsLocalStore } from '../../src/local/fs/fs-local-store.js'
import { MemoryLocalStore } from '../../src/local/memory/memory-local-store.js'
import { MemoryMetadataStore } from '../../src/meta/memory/memory-metadata-store.js'
import { SqliteMetadataStore } from '../../src/meta/sqlite/index.js'
import { fastSyncer, openTestEngine } from '../support/engine-fixture.js'

const code = (c: string) => (err: unknown) => isBlockStoreError(err) && err.code === c

/** Wraps a local store's `flush`; every other call goes to the real store. */
type FlushHook = (pid: string, real: () => Promise<FlushedBlock[]>) => Promise<FlushedBlock[]>

function hookFlush<T extends LocalStore>(store: T, hook: () => FlushHook | undefined): T {
  return new Proxy(store, {
    get(target, prop) {
      const v = Reflect.get(target, prop)
      if (prop !== 'flush') return typeof v === 'function' ? v.bind(target) : v
      return (pid: string, o?: Parameters<LocalStore['flush']>[1]) => {
        const real = () => target.flush(pid, o)
        const h = hook()
        return h === undefined ? real() : h(pid, real)
      }
    },
  })
}

interface FsEngine {
  readonly engine: Engine
  readonly local: FsLocalStore
  readonly metadata: SqliteMetadataStore
}

/** An fs local + SQLite engine on `dir` (no remote); the hook wraps the local flush. */
async function openFsEngine(dir: string, hook?: () => FlushHook | undefined): Promise<FsEngine> {
  const metadata = await SqliteMetadataStore.open({ path: join(dir, 'meta.db') })
  let local: FsLocalStore | undefined
  const engine = await openBlockStore({
    local: async (hooks) => {
      local = await FsLocalStore.open({ metadata, ...hooks, dir: join(dir, 'blocks'), maxDisk: 0 })
      return hook === undefined ? local : hookFlush(local, hook)
    },
    metadata,
    readBufferBytes: 16 * 1024 * 1024,
    syncer: fastSyncer,
  })
  if (local === undefined) throw new Error('local store not opened')
  return { engine, local, metadata }
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flush-many-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

async function memoryEngine(t: TestContext, hook?: () => FlushHook | undefined): Promise<Engine> {
  const metadata = await MemoryMetadataStore.open()
  const engine = await openBlockStore({
    local: async (hooks) => {
      const local = await MemoryLocalStore.open({ metadata, ...hooks })
      return hook === undefined ? local : hookFlush(local, hook)
    },
    metadata,
    readBufferBytes: 16 * 1024 * 1024,
    syncer: fastSyncer,
  })
  t.after(async () => {
    await engine.close().catch(() => undefined)
    await metadata.close()
  })
  return engine
}

/** Sizes from 4 KiB to just over a block, so small and multi-block payloads mix. */
const sizeOf = (i: number): number => [4096, 100, 65_536, BlockSize + 7][i % 4] ?? 4096

describe('flushAll on fs local + SQLite', () => {
  it('makes every written payload durable: all acknowledged bytes survive a kill', async (t) => {
    const dir = await tempDir(t)
    const first = await openFsEngine(dir)
    const want = new Map<string, Uint8Array>()
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const id = `tree/f${String(i).padStart(2, '0')}`
        const data = pattern(sizeOf(i), i + 1)
        want.set(id, data)
        await first.engine.writeAt(id, data, 0)
      }),
    )
    // A size change without any block write counts as unflushed too.
    await first.engine.truncate('grown', 3 * BlockSize + 5)
    const report = await first.engine.flushAll()
    assert.deepEqual(report.failures, [])
    const ids = [...want.keys(), 'grown'].sort()
    assert.deepEqual(
      report.results.map((r) => r.payloadId),
      ids,
      'every changed payload, by ID',
    )
    assert.ok(
      report.results.every((r) => r.finalized === false),
      'no remote: not finalized',
    )
    // The process dies right after the batch returned: nothing more is flushed or recorded.
    await first.local.abandon()
    await first.engine.close()
    await first.metadata.close()

    const again = await openFsEngine(dir)
    t.after(async () => {
      await again.engine.close()
      await again.metadata.close()
    })
    for (const [id, data] of want) assert.deepEqual(await readAll(again.engine, id), data, id)
    assert.equal(await again.engine.getSize('grown'), 3 * BlockSize + 5)
    assert.deepEqual(await again.engine.flushAll(), { results: [], failures: [] })
  })

  it('flushes nothing when one ID is malformed, and says which', async (t) => {
    const dir = await tempDir(t)
    const { engine, local, metadata } = await openFsEngine(dir)
    // Closed in the test, not in a hook: hooks run in the order they were added, so one added
    // here would close the engine after its directory was removed.
    const close = async (): Promise<void> => {
      await engine.close()
      await metadata.close()
    }
    t.after(() => close().catch(() => undefined))
    await engine.writeAt('a', pattern(4096, 1), 0)
    await engine.writeAt('b', pattern(4096, 2), 0)
    await assert.rejects(engine.flushMany(['a', 'b/../c', 'b']), (err: unknown) => {
      assert.ok(isBlockStoreError(err, 'BS_INVALID_PAYLOAD_ID'))
      assert.match(err.message, /ids\[1\]/)
      return true
    })
    await assert.rejects(engine.flushMany(['a', '.ditto/staging/x']), code('BS_INVALID_ARGUMENT'))
    await assert.rejects(engine.flushMany(['a'], { concurrency: 0 }), code('BS_INVALID_ARGUMENT'))
    await assert.rejects(engine.flushAll({ concurrency: 1.5 }), code('BS_INVALID_ARGUMENT'))
    await assert.rejects(engine.flushMany('a' as unknown as string[]), code('BS_INVALID_ARGUMENT'))
    assert.equal(local.stats().dirtyBlockCount, 2, 'both blocks still unflushed')
    assert.equal(await metadata.getPayload('a'), undefined, 'no record stored for a')
    const report = await engine.flushAll()
    assert.deepEqual(
      report.results.map((r) => r.payloadId),
      ['a', 'b'],
    )
    assert.equal(local.stats().dirtyBlockCount, 0)
    await close()
  })
})

describe('flushMany', () => {
  it('flushes each distinct ID once, in the order given', async (t) => {
    const flushed: string[] = []
    const engine = await memoryEngine(t, () => async (pid, real) => {
      flushed.push(pid)
      return real()
    })
    for (const id of ['x', 'y', 'z']) await engine.writeAt(id, pattern(10), 0)
    const report = await engine.flushMany(['z', 'x', 'z', 'y', 'x'])
    assert.deepEqual(
      report.results.map((r) => r.payloadId),
      ['z', 'x', 'y'],
    )
    assert.deepEqual(flushed.sort(), ['x', 'y', 'z'])
    assert.deepEqual(await engine.flushMany([]), { results: [], failures: [] })
    assert.deepEqual(await engine.flushAll(), { results: [], failures: [] }, 'nothing left')
  })

  it("reports one payload's failure with its code while the others are flushed", async (t) => {
    let failing = true
    const engine = await memoryEngine(t, () => async (pid, real) => {
      if (failing && pid === 'b') throw new BlockStoreError('BS_STORAGE_FULL', 'disk full for b')
      return real()
    })
    for (const id of ['a', 'b', 'c']) await engine.writeAt(id, pattern(100), 0)
    const report = await engine.flushMany(['a', 'b', 'c', 'missing'])
    assert.deepEqual(
      report.results.map((r) => r.payloadId),
      ['a', 'c'],
    )
    assert.deepEqual(
      report.failures.map(({ payloadId, code, message }) => ({ payloadId, code, message })),
      [
        { payloadId: 'b', code: 'BS_STORAGE_FULL', message: 'disk full for b' },
        {
          payloadId: 'missing',
          code: 'BS_CONTENT_NOT_FOUND',
          message: 'payload missing does not exist',
        },
      ],
    )
    // b is still unflushed: flushAll retries it, and only it.
    failing = false
    const retry = await engine.flushAll()
    assert.deepEqual(retry.failures, [])
    assert.deepEqual(
      retry.results.map((r) => r.payloadId),
      ['b'],
    )
  })

  it('keeps at most `concurrency` payload flushes in flight, and runs them together', async (t) => {
    let inFlight = 0
    let most = 0
    const engine = await memoryEngine(t, () => async (_pid, real) => {
      most = Math.max(most, ++inFlight)
      try {
        await new Promise((r) => setTimeout(r, 10))
        return await real()
      } finally {
        inFlight--
      }
    })
    const ids = Array.from({ length: 60 }, (_, i) => `p${i}`)
    for (const id of ids) await engine.writeAt(id, pattern(64), 0)
    const small = await engine.flushMany(ids.slice(0, 20), { concurrency: 4 })
    assert.equal(small.results.length, 20)
    assert.equal(most, 4)
    most = 0
    const rest = await engine.flushAll()
    assert.equal(rest.results.length, 40)
    assert.equal(most, 32, 'the default bound')
  })

  it('keeps a payload listed when a write lands while its flush runs', async (t) => {
    let gate: Promise<void> | undefined
    let entered!: () => void
    const inFlush = new Promise<void>((r) => (entered = r))
    const engine = await memoryEngine(t, () => async (pid, real) => {
      if (pid === 'p' && gate !== undefined) {
        entered()
        await gate
      }
      return real()
    })
    await engine.writeAt('p', pattern(10, 1), 0)
    let release!: () => void
    gate = new Promise<void>((r) => (release = r))
    const batch = engine.flushAll()
    await inFlush
    await engine.writeAt('p', pattern(10, 2), 100)
    release()
    gate = undefined
    assert.deepEqual(
      (await batch).results.map((r) => r.payloadId),
      ['p'],
    )
    assert.deepEqual(
      (await engine.flushAll()).results.map((r) => r.payloadId),
      ['p'],
      'the racing write is flushed by the next batch',
    )
  })

  it('rejects with the abort reason, and after close with BS_STORE_CLOSED', async (t) => {
    const engine = await memoryEngine(t)
    await engine.writeAt('a', pattern(10), 0)
    const aborted = AbortSignal.abort(new Error('stop'))
    await assert.rejects(engine.flushMany(['a'], { signal: aborted }), /stop/)
    await assert.rejects(engine.flushAll({ signal: aborted }), /stop/)
    await engine.close()
    await assert.rejects(engine.flushMany(['a']), code('BS_STORE_CLOSED'))
    await assert.rejects(engine.flushAll(), code('BS_STORE_CLOSED'))
  })

  it("keeps durability 'remote' per payload: each result is finalized", async () => {
    await using t = await openTestEngine({ durability: 'remote' })
    for (const [i, id] of ['r1', 'r2', 'r3'].entries()) {
      await t.engine.writeAt(id, pattern(5000, i + 1), 0)
    }
    const report = await t.engine.flushMany(['r3', 'r1', 'r2'])
    assert.deepEqual(report.failures, [])
    assert.deepEqual(
      report.results.map((r) => [r.payloadId, r.finalized]),
      [
        ['r3', true],
        ['r1', true],
        ['r2', true],
      ],
    )
    assert.equal(t.remote.calls.writeBlock, 3)
  })
})
