/**
 * The system under a model run: an engine plus handles on its local store, metadata store
 * and fault-injecting remote, so the run can ask which blocks only the remote holds (the one
 * fact the model cannot know: it depends on which uploads have finished).
 */
import type { FaultInjectingRemoteStore } from '../../../src/conformance/index.js'
import { isRemote } from '../../../src/core/block.js'
import { BlockSize } from '../../../src/core/constants.js'
import type { LocalStore } from '../../../src/core/local-store.js'
import type { MetadataStore } from '../../../src/core/metadata-store.js'
import type { Engine } from '../../../src/engine/engine.js'
import { rowOf } from '../../../src/engine/read-path.js'
import { openTestEngine, setOutage } from '../../support/engine-fixture.js'

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
  const memory = config === 'memory'
  const t = await openTestEngine({
    local: { kind: memory ? 'memory' : 'fs' },
    remote: { kind: memory ? 'memory' : 'fs' },
    metadata: { kind: memory ? 'memory' : 'sqlite' },
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
  const system: ModelSystem = {
    get engine() {
      return t.engine
    },
    get local() {
      return t.local
    },
    metadata: t.metadata,
    remote: t.remote,
    canReopen: !memory,
    async reopen() {
      await t.reopen()
    },
    setOutage: (down) => setOutage(t, down),
    async remoteOnly(pid, offset, length) {
      const out: RemoteOnlyBlock[] = []
      if (length <= 0) return out
      const first = Math.floor(offset / BlockSize)
      const last = Math.floor((offset + length - 1) / BlockSize)
      for (let idx = first; idx <= last; idx++) {
        const row = await rowOf(t.metadata, pid, idx)
        if (row === undefined || !isRemote(row) || row.blockStoreKey === '') continue
        if (await t.local.isBlockLocal(pid, idx)) continue
        out.push({ idx, dataSize: row.dataSize })
      }
      return out
    },
    async dispose() {
      // Whatever a failed run left, everything is closed; that run's own error is the one
      // reported, not a close error after it.
      await t.close().catch(() => undefined)
    },
  }
  return system
}
