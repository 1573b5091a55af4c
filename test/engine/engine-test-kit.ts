/**
 * Engines for the engine tests: fs local store in a temp dir (or memory), memory metadata,
 * a real memory remote behind a scriptable fault wrapper that counts and can delay, fail or
 * hang calls (fakes only inject faults; the bytes always go to a real store).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FaultInjectingRemoteStore } from '../../src/conformance/index.js'
import type { AbortOptions } from '../../src/core/abort.js'
import { blockSizeOfIndexedObject } from '../../src/core/chunk-layout.js'
import {
  formatChunkIndexKey,
  formatContentKey,
  hasIndexTrailer,
  parseChunkIndexKey,
} from '../../src/core/keys.js'
import type { LocalStore } from '../../src/core/local-store.js'
import type { MetadataStore } from '../../src/core/metadata-store.js'
import type { Engine } from '../../src/engine/engine.js'
import { openBlockStore } from '../../src/engine/index.js'
import type { BlockStoreOptions, SyncerConfig } from '../../src/engine/options.js'
import { FsLocalStore } from '../../src/local/fs/fs-local-store.js'
import { MemoryLocalStore } from '../../src/local/memory/memory-local-store.js'
import { MemoryMetadataStore } from '../../src/meta/memory/memory-metadata-store.js'
import { MemoryRemoteStore } from '../../src/remote/memory/index.js'
import { fastSyncer } from '../support/engine.js'

/**
 * Counts remote calls (the hooks before writes and reads are the base class's). Reads of chunk index
 * records are counted apart (`index*`), whether from an index object of an earlier version or
 * from after the block in its own object, and a ranged read of exactly the block part of such
 * an object counts as the whole-block read it is, so the block counters keep meaning blocks.
 */
export class ScriptedRemote extends FaultInjectingRemoteStore {
  readonly calls = {
    writeBlock: 0,
    readBlock: 0,
    readBlockRange: 0,
    indexWrites: 0,
    indexRanges: 0,
    indexBytes: 0,
    rangeBytes: 0,
  }
  /** Most writeBlock calls in flight at once. */
  maxWritesInFlight = 0
  #writing = 0

  /** Block sizes of the objects written with their index after the block, by key. */
  readonly #blockSizes = new Map<string, number>()

  override async writeBlock(key: string, data: Uint8Array, o?: AbortOptions): Promise<void> {
    if (parseChunkIndexKey(key) !== undefined) this.calls.indexWrites++
    else this.calls.writeBlock++
    if (hasIndexTrailer(key)) {
      const size = blockSizeOfIndexedObject(data.length)
      if (size !== undefined) this.#blockSizes.set(key, size)
    }
    this.#writing++
    this.maxWritesInFlight = Math.max(this.maxWritesInFlight, this.#writing)
    try {
      return await super.writeBlock(key, data, o)
    } finally {
      this.#writing--
    }
  }

  override async readBlock(key: string, o?: AbortOptions): Promise<Uint8Array> {
    this.calls.readBlock++
    return super.readBlock(key, o)
  }

  override async readBlockRange(
    key: string,
    offset: number,
    length: number,
    o?: AbortOptions,
  ): Promise<Uint8Array> {
    const blockSize = this.#blockSizes.get(key)
    const index =
      parseChunkIndexKey(key) !== undefined || (blockSize !== undefined && offset >= blockSize)
    const whole = blockSize !== undefined && offset === 0 && length === blockSize
    if (index) this.calls.indexRanges++
    else if (whole) this.calls.readBlock++
    else this.calls.readBlockRange++
    const data = await super.readBlockRange(key, offset, length, o)
    if (index) this.calls.indexBytes += data.length
    else if (!whole) this.calls.rangeBytes += data.length
    return data
  }
}

/** An engine under test and its parts. */
export interface TestEngine extends AsyncDisposable {
  readonly engine: Engine
  readonly remote: ScriptedRemote
  readonly metadata: MetadataStore
  readonly local: LocalStore
}

/** Options of {@link openTestEngine}. */
export interface TestEngineOptions {
  readonly local?: 'fs' | 'memory'
  readonly readBufferBytes?: number
  readonly prefetchWorkers?: number
  readonly syncer?: SyncerConfig
  readonly remote?: ScriptedRemote
  readonly rangedReadThreshold?: number
  readonly durability?: BlockStoreOptions['durability']
  readonly cacheFetchedBlocks?: BlockStoreOptions['cacheFetchedBlocks']
}

/**
 * Opens an engine (background uploads off unless `syncer` turns them on, so tests decide
 * when blocks upload); disposing closes it and removes its directory.
 */
export async function openTestEngine(options: TestEngineOptions = {}): Promise<TestEngine> {
  const dir = await mkdtemp(join(tmpdir(), 'engine-test-'))
  const metadata = await MemoryMetadataStore.open()
  const remote = options.remote ?? new ScriptedRemote(new MemoryRemoteStore())
  let local: LocalStore | undefined
  const engine = await openBlockStore({
    local: async (hooks) => {
      local =
        options.local === 'memory'
          ? await MemoryLocalStore.open({ metadata, ...hooks })
          : await FsLocalStore.open({ metadata, ...hooks, dir, maxDisk: 0 })
      return local
    },
    remote,
    metadata,
    readBufferBytes: options.readBufferBytes ?? 64 * 1024 * 1024,
    prefetchWorkers: options.prefetchWorkers ?? 4,
    syncer: { ...fastSyncer, uploadIntervalMs: 3_600_000, ...options.syncer },
    ...(options.rangedReadThreshold === undefined
      ? {}
      : { rangedReadThreshold: options.rangedReadThreshold }),
    ...(options.durability === undefined ? {} : { durability: options.durability }),
    ...(options.cacheFetchedBlocks === undefined
      ? {}
      : { cacheFetchedBlocks: options.cacheFetchedBlocks }),
  })
  if (local === undefined) throw new Error('local store not opened')
  const opened = local
  return {
    engine,
    remote,
    metadata,
    local: opened,
    async [Symbol.asyncDispose]() {
      await engine.close().catch(() => undefined)
      await metadata.close()
      await remote.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Writes, flushes, uploads and drops the local copies: the payload is then remote-only. */
export async function makeRemoteOnly(t: TestEngine, pid: string, data: Uint8Array): Promise<void> {
  await t.engine.writeAt(pid, data, 0)
  await t.engine.flush(pid)
  const report = await t.engine.drainAllUploads()
  if (report.failed.length > 0) throw new Error(`drain failed: ${report.failed[0]?.message}`)
  await t.engine.evict({ payloadId: pid })
}

/**
 * Rewrites block `idx` of `pid` (Remote, uploaded by this version: its index after the block)
 * the way earlier versions stored it: the block alone under its plain content key, the index
 * in `{key}.chunks`, the row naming the plain key. Returns the plain key.
 */
export async function asSeparateIndex(t: TestEngine, pid: string, idx = 0): Promise<string> {
  const row = await t.metadata.getFileBlock(`${pid}/${idx}`)
  if (!hasIndexTrailer(row.blockStoreKey))
    throw new Error(`${row.blockStoreKey}: no index after the block`)
  const object = await t.remote.inner.readBlock(row.blockStoreKey)
  const plain = formatContentKey(row.hash)
  await t.remote.inner.writeBlock(plain, object.subarray(0, row.dataSize))
  await t.remote.inner.writeBlock(formatChunkIndexKey(plain), object.subarray(row.dataSize))
  await t.remote.inner.deleteBlock(row.blockStoreKey)
  await t.metadata.putFileBlock({ ...row, blockStoreKey: plain })
  return plain
}

/** Waits for the health monitor to see the remote go down or come back. */
export async function setOutage(t: TestEngine, down: boolean): Promise<void> {
  t.remote.down = down
  const deadline = Date.now() + 5000
  while ((await t.engine.stats()).remoteHealthy === down) {
    if (Date.now() > deadline) throw new Error('health monitor did not notice')
    await new Promise((r) => setTimeout(r, 5))
  }
}
