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

/** Wraps a remote store; set {@link down} to simulate an outage. */
export class FaultInjectingRemoteStore implements RemoteStore {
  readonly inner: RemoteStore
  /** While true, every call fails with BS_UNAVAILABLE. */
  down = false
  /** Calls refused while down. */
  refused = 0

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
    this.#check('writeBlock')
    return this.inner.writeBlock(key, data, o)
  }

  async readBlock(key: string, o?: AbortOptions): Promise<Uint8Array> {
    this.#check('readBlock')
    return this.inner.readBlock(key, o)
  }

  async readBlockRange(
    key: string,
    offset: number,
    length: number,
    o?: AbortOptions,
  ): Promise<Uint8Array> {
    this.#check('readBlockRange')
    return this.inner.readBlockRange(key, offset, length, o)
  }

  async statBlock(key: string, o?: AbortOptions): Promise<RemoteObjectInfo | undefined> {
    this.#check('statBlock')
    return this.inner.statBlock(key, o)
  }

  async deleteBlock(key: string, o?: AbortOptions): Promise<void> {
    this.#check('deleteBlock')
    return this.inner.deleteBlock(key, o)
  }

  async *listObjects(prefix: string, o?: AbortOptions): AsyncIterable<RemoteObjectInfo> {
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
