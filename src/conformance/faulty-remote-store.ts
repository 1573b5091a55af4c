/**
 * A RemoteStore wrapper that injects outages: while `down`, every call fails with
 * BS_UNAVAILABLE (and health reports unhealthy) without touching the real store. For tests
 * of health, offline mode and recovery: a real server does not fail on demand.
 */
import type { AbortOptions } from '../core/abort.js'
import { BlockStoreError } from '../core/errors.js'
import type { HealthReport } from '../core/health.js'
import type {
  RemoteObjectInfo,
  RemoteStore,
  RemoteStoreCapabilities,
  RemoteStoreStats,
} from '../core/remote-store.js'

/**
 * A hook run before a call reaches the real store (and before the outage check): it may
 * delay the call, fail it by throwing, or hold it forever (pass `signal` on to honour aborts).
 */
export type RemoteCallHook = (key: string, signal: AbortSignal | undefined) => Promise<void> | void

/** Wraps a remote store; set {@link down} to simulate an outage. */
export class FaultInjectingRemoteStore implements RemoteStore {
  readonly inner: RemoteStore
  /** While true, every call fails with BS_UNAVAILABLE. */
  down = false
  /** Calls refused while down. */
  refused = 0
  /*
   * Hooks, to delay, fail or hold chosen calls: exact interleavings (a GC deletion between an
   * uploader's lookup and its commit, ...) that a real server cannot be made to produce.
   */
  /** Runs before each writeBlock. */
  beforeWrite: RemoteCallHook | undefined
  /** Runs before each readBlock and readBlockRange. */
  beforeRead: RemoteCallHook | undefined
  /** Runs before each deleteBlock. */
  beforeDelete: RemoteCallHook | undefined
  /** Runs before each listByPrefix and listObjects (with the prefix as `key`). */
  beforeList: RemoteCallHook | undefined

  constructor(inner: RemoteStore) {
    this.inner = inner
  }

  get capabilities(): RemoteStoreCapabilities {
    return this.inner.capabilities
  }

  get backend(): string {
    return this.inner.backend
  }

  #check(op: string): void {
    if (!this.down) return
    this.refused++
    throw new BlockStoreError('BS_UNAVAILABLE', `injected outage (${op})`, { op })
  }

  async writeBlock(key: string, data: Uint8Array, o?: AbortOptions): Promise<void> {
    if (this.beforeWrite !== undefined) await this.beforeWrite(key, o?.signal)
    this.#check('writeBlock')
    return this.inner.writeBlock(key, data, o)
  }

  async readBlock(key: string, o?: AbortOptions): Promise<Uint8Array> {
    if (this.beforeRead !== undefined) await this.beforeRead(key, o?.signal)
    this.#check('readBlock')
    return this.inner.readBlock(key, o)
  }

  async readBlockRange(
    key: string,
    offset: number,
    length: number,
    o?: AbortOptions,
  ): Promise<Uint8Array> {
    if (this.beforeRead !== undefined) await this.beforeRead(key, o?.signal)
    this.#check('readBlockRange')
    return this.inner.readBlockRange(key, offset, length, o)
  }

  async statBlock(key: string, o?: AbortOptions): Promise<RemoteObjectInfo | undefined> {
    this.#check('statBlock')
    return this.inner.statBlock(key, o)
  }

  async deleteBlock(key: string, o?: AbortOptions): Promise<void> {
    if (this.beforeDelete !== undefined) await this.beforeDelete(key, o?.signal)
    this.#check('deleteBlock')
    return this.inner.deleteBlock(key, o)
  }

  async *listObjects(prefix: string, o?: AbortOptions): AsyncIterable<RemoteObjectInfo> {
    if (this.beforeList !== undefined) await this.beforeList(prefix, o?.signal)
    this.#check('listObjects')
    yield* this.inner.listObjects(prefix, o)
  }

  async healthcheck(o?: AbortOptions): Promise<HealthReport> {
    if (this.down) {
      return {
        status: 'unhealthy',
        message: 'injected outage',
        checkedAt: Date.now(),
        latencyMs: 0,
      }
    }
    return this.inner.healthcheck(o)
  }

  stats(): RemoteStoreStats {
    return this.inner.stats()
  }

  close(): Promise<void> {
    return this.inner.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
