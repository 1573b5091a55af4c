/**
 * The system under a model run: an engine plus handles on its local store, metadata store
 * and fault-injecting remote, so the run can ask which blocks only the remote holds (the one
 * fact the model cannot know: it depends on which uploads have finished).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitFor } from '../../../src/conformance/block-store/fixture.js'
import { FaultInjectingRemoteStore } from '../../../src/conformance/index.js'
import { isRemote } from '../../../src/core/block.js'
import { BlockSize } from '../../../src/core/constants.js'
import type { LocalStore, LocalStoreHooks } from '../../../src/core/local-store.js'
import type { MetadataStore } from '../../../src/core/metadata-store.js'
import type { Engine } from '../../../src/engine/engine.js'
import { openBlockStore } from '../../../src/engine/index.js'
import { rowOf } from '../../../src/engine/read-path.js'
import { FsLocalStore } from '../../../src/local/fs/fs-local-store.js'
import { MemoryLocalStore } from '../../../src/local/memory/memory-local-store.js'
import { MemoryMetadataStore } from '../../../src/meta/memory/memory-metadata-store.js'
import { SqliteMetadataStore } from '../../../src/meta/sqlite/index.js'
import { FsRemoteStore } from '../../../src/remote/fs/index.js'
import { MemoryRemoteStore } from '../../../src/remote/memory/index.js'

/** Which stores a configuration uses. */
export type ModelConfigName = 'memory' | 'fs-sqlite'

/** A running system; `reopen` closes the engine and opens it again on the same stores. */
export interface ModelSystem {
  readonly engine: Engine
  readonly local: LocalStore
  readonly metadata: MetadataStore
  readonly remote: FaultInjectingRemoteStore
  /** Persistent configurations only. */
  readonly canReopen: boolean
  reopen(): Promise<void>
  /** Sets the outage and waits until the engine's health monitor has seen it. */
  setOutage(down: boolean): Promise<void>
  /** Remote-only blocks overlapping `[offset, offset+length)` with their valid bytes. */
  remoteOnly(pid: string, offset: number, length: number): Promise<RemoteOnlyBlock[]>
  dispose(): Promise<void>
}

/** A block whose bytes only the remote holds. */
export interface RemoteOnlyBlock {
  readonly idx: number
  readonly dataSize: number
}

/** Opens a fresh system of the given configuration. */
export async function openModelSystem(config: ModelConfigName): Promise<ModelSystem> {
  const dir = await mkdtemp(join(tmpdir(), 'engine-model-'))
  const metadata =
    config === 'memory'
      ? await MemoryMetadataStore.open()
      : await SqliteMetadataStore.open({ path: join(dir, 'meta.db') })
  const inner =
    config === 'memory'
      ? new MemoryRemoteStore()
      : await FsRemoteStore.open({ root: join(dir, 'remote') })
  const remote = new FaultInjectingRemoteStore(inner)
  const openLocal = (hooks: LocalStoreHooks): Promise<LocalStore> =>
    config === 'memory'
      ? MemoryLocalStore.open({ metadata, ...hooks })
      : FsLocalStore.open({ metadata, ...hooks, dir: join(dir, 'local'), maxDisk: 0 })
  let local: LocalStore | undefined
  const open = (): Promise<Engine> =>
    openBlockStore({
      local: async (hooks) => {
        local = await openLocal(hooks)
        return local
      },
      remote,
      metadata,
      readBufferBytes: 64 * 1024 * 1024,
      // The prefetcher fills the local tier in the background, which would make "is this
      // block only remote?" a race; it has its own tests.
      prefetchWorkers: 0,
      syncer: {
        healthIntervalMs: 10,
        unhealthyIntervalMs: 10,
        failureThreshold: 1,
        probeTimeoutMs: 1000,
        uploadIntervalMs: 20,
        uploadDelayMs: 20,
      },
    })
  let engine = await open()
  const system: ModelSystem = {
    get engine() {
      return engine
    },
    get local() {
      if (local === undefined) throw new Error('local store not opened')
      return local
    },
    metadata,
    remote,
    canReopen: config !== 'memory',
    async reopen() {
      await engine.close()
      engine = await open()
    },
    async setOutage(down) {
      remote.down = down
      const seen = await waitFor(async () => (await engine.stats()).remoteHealthy === !down, 5000)
      if (!seen) throw new Error(`health monitor did not see the remote go ${down ? 'down' : 'up'}`)
    },
    async remoteOnly(pid, offset, length) {
      const out: RemoteOnlyBlock[] = []
      if (length <= 0) return out
      const first = Math.floor(offset / BlockSize)
      const last = Math.floor((offset + length - 1) / BlockSize)
      for (let idx = first; idx <= last; idx++) {
        const row = await rowOf(metadata, pid, idx)
        if (row === undefined || !isRemote(row) || row.blockStoreKey === '') continue
        if (await system.local.isBlockLocal(pid, idx)) continue
        out.push({ idx, dataSize: row.dataSize })
      }
      return out
    },
    async dispose() {
      await engine.close().catch(() => undefined)
      await metadata.close()
      await remote.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
  return system
}
