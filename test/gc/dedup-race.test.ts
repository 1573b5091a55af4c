/**
 * The dedup race, closed (docs/gc.md): every interleaving of a GC deletion with an uploader
 * committing a reference to the same content key, injected deterministically with hooks.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BlockState } from '../../src/core/block.js'
import { chunkIndexSize } from '../../src/core/chunk-layout.js'
import { isBlockStoreError } from '../../src/core/errors.js'
import { formatIndexedContentKey } from '../../src/core/keys.js'
import type { MetadataStore } from '../../src/core/metadata-store.js'
import type { Engine } from '../../src/engine/index.js'
import { MemoryMetadataStore } from '../../src/meta/memory/memory-metadata-store.js'
import { hashBlock } from '../../src/platform/hash-block.js'
import type { CountingRemote } from '../support/counting-remote.js'
import { openTestEngine, type TestEngine } from '../support/engine-fixture.js'

const later = (): number => Date.now() + 2 * 3_600_000
const gcOptions = { now: later }

/** Memory local (by config), memory metadata (or `given`), the hookable memory remote. */
function open(given?: MetadataStore): Promise<TestEngine> {
  return openTestEngine({
    local: { kind: 'memory', open: 'config' },
    metadata: given === undefined ? { kind: 'memory' } : { store: given },
    readBufferBytes: undefined,
    // Uploads happen only inside flush (memory local store: remote-durable flushes).
    syncer: { uploadIntervalMs: 3_600_000, healthIntervalMs: 3_600_000 },
  })
}

function payloadBytes(seed: number): Uint8Array {
  const data = new Uint8Array(300_000)
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + seed) & 0xff
  return data
}

async function put(engine: Engine, pid: string, data: Uint8Array): Promise<void> {
  await engine.writeAt(pid, data, 0)
  await engine.flush(pid)
}

async function readAll(engine: Engine, pid: string, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(size)
  assert.equal(await engine.readAt(pid, out, 0), size)
  return out
}

/** Asserts the remote object behind `pid`'s block 0 holds `data` (not just the local copy). */
async function assertRemoteHolds(
  metadata: MetadataStore,
  remote: CountingRemote,
  pid: string,
  data: Uint8Array,
): Promise<void> {
  const row = await metadata.getFileBlock(`${pid}/0`)
  assert.equal(row.state, BlockState.Remote)
  // The block, followed by its chunk index (these blocks are over 64 KiB).
  const object = await remote.inner.readBlock(row.blockStoreKey)
  assert.equal(object.length, data.length + chunkIndexSize(data.length))
  assert.deepEqual(object.subarray(0, data.length), data)
}

describe('GC and deduplication', () => {
  it('keeps a donor object referenced only by another payload after the donor payload is deleted', async () => {
    await using t = await open()
    const { engine, remote, metadata } = t
    const data = payloadBytes(1)
    await put(engine, 'A', data)
    await put(engine, 'B', data)
    assert.equal(
      (await metadata.getFileBlock('B/0')).blockStoreKey,
      (await metadata.getFileBlock('A/0')).blockStoreKey,
    )
    await engine.delete('A')
    const r = await engine.collectGarbage(gcOptions)
    assert.deepEqual([r.referenced, r.deleted], [1, 0])
    await engine.evict()
    assert.deepEqual(await readAll(engine, 'B', data.length), data)
    await assertRemoteHolds(metadata, remote, 'B', data)
  })

  it('re-uploads when GC deletes the donor object between the dedup lookup and the claim', async () => {
    const metadata = await MemoryMetadataStore.open()
    let afterDonorFound: (() => Promise<void>) | undefined
    // Runs a hook once the uploader's donor lookup found a row (the reference it will claim).
    const hooked = new Proxy(metadata, {
      get(t, p) {
        const v = Reflect.get(t, p, t)
        if (p !== 'findFileBlockByHash' || typeof v !== 'function') {
          return typeof v === 'function' ? v.bind(t) : v
        }
        return async (...args: Parameters<MemoryMetadataStore['findFileBlockByHash']>) => {
          const found = await t.findFileBlockByHash(...args)
          const hook = afterDonorFound
          if (found !== undefined && hook !== undefined) {
            afterDonorFound = undefined
            await hook()
          }
          return found
        }
      },
    })
    await using t = await open(hooked)
    const { engine, remote } = t
    const data = payloadBytes(2)
    const key = formatIndexedContentKey(hashBlock(data))
    await put(engine, 'A', data)
    let gcDeleted = 0
    afterDonorFound = async () => {
      // The donor goes and GC runs to completion while the uploader holds a stale donor.
      await engine.delete('A')
      gcDeleted = (await engine.collectGarbage(gcOptions)).deleted
      assert.equal(await remote.inner.statBlock(key), undefined)
    }
    await put(engine, 'B', data)
    assert.equal(gcDeleted, 1)
    await assertRemoteHolds(metadata, remote, 'B', data)
    await engine.evict()
    assert.deepEqual(await readAll(engine, 'B', data.length), data)
  })

  it('refuses an upload commit while GC holds the fence, then uploads after the deletion', async () => {
    const metadata = await MemoryMetadataStore.open()
    let refused!: () => void
    const refusedOnce = new Promise<void>((r) => (refused = r))
    // Observes (never alters) the commits: resolves once one was refused with BS_BUSY.
    const observed = new Proxy(metadata, {
      get(t, p) {
        const v = Reflect.get(t, p, t)
        if (p !== 'compareAndPutFileBlock' || typeof v !== 'function') {
          return typeof v === 'function' ? v.bind(t) : v
        }
        return async (...args: Parameters<MemoryMetadataStore['compareAndPutFileBlock']>) => {
          try {
            return await t.compareAndPutFileBlock(...args)
          } catch (err) {
            if (isBlockStoreError(err, 'BS_BUSY')) refused()
            throw err
          }
        }
      },
    })
    await using t = await open(observed)
    const { engine, remote } = t
    const data = payloadBytes(3)
    const key = formatIndexedContentKey(hashBlock(data))
    await put(engine, 'A', data)
    await engine.delete('A')
    let flushing: Promise<unknown> | undefined
    remote.beforeDelete = async (k) => {
      if (k !== key) return
      remote.beforeDelete = undefined
      // GC fenced the key and is about to delete it: B uploads the same bytes and commits.
      await engine.writeAt('B', data, 0)
      flushing = engine.flush('B')
      await refusedOnce
    }
    const r = await engine.collectGarbage(gcOptions)
    assert.equal(r.deleted, 1)
    // The refused commit is retried once the fence is lifted: the object is uploaded again.
    await flushing
    await assertRemoteHolds(metadata, remote, 'B', data)
    assert.equal((await engine.collectGarbage(gcOptions)).deleted, 0)
  })

  it('keeps a candidate that gained a reference after the mark (fenced re-check)', async () => {
    await using t = await open()
    const { engine, remote, metadata } = t
    const data = payloadBytes(4)
    await put(engine, 'A', data)
    await engine.delete('A')
    // The mark saw no reference; before the sweep lists the object, B references it.
    remote.beforeList = async () => {
      remote.beforeList = undefined
      await put(engine, 'B', data)
    }
    const r = await engine.collectGarbage(gcOptions)
    assert.deepEqual([r.raced, r.deleted], [1, 0])
    await assertRemoteHolds(metadata, remote, 'B', data)
  })
})
