/**
 * A RemoteStore wrapper with async hooks around calls, to inject exact interleavings (a GC
 * deletion between an uploader's stat and its commit, ...) that a real server cannot be made
 * to produce on demand. Every call reaches the real (memory) store.
 */
import type { AbortOptions } from '../../src/core/abort.js'
import type { HealthReport } from '../../src/core/health.js'
import type {
  RemoteObjectInfo,
  RemoteStore,
  RemoteStoreCapabilities,
  RemoteStoreStats,
} from '../../src/core/remote-store.js'

type Hook = (key: string) => Promise<void> | void

/** Hooks run before (or, for stat, after) the real call. */
export interface RemoteHooks {
  beforeDelete?: Hook | undefined
  afterStat?:
    | ((key: string, found: RemoteObjectInfo | undefined) => Promise<void> | void)
    | undefined
  beforeList?: Hook | undefined
  failDelete?: ((key: string) => boolean) | undefined
}

/** Delegates to `inner`, running {@link RemoteHooks}. */
export class HookedRemoteStore implements RemoteStore {
  readonly inner: RemoteStore
  hooks: RemoteHooks = {}
  readonly deleted: string[] = []

  constructor(inner: RemoteStore) {
    this.inner = inner
  }
  get capabilities(): RemoteStoreCapabilities {
    return this.inner.capabilities
  }
  get backend(): string {
    return this.inner.backend
  }
  writeBlock(key: string, data: Uint8Array, o?: AbortOptions): Promise<void> {
    return this.inner.writeBlock(key, data, o)
  }
  readBlock(key: string, o?: AbortOptions): Promise<Uint8Array> {
    return this.inner.readBlock(key, o)
  }
  readBlockRange(
    key: string,
    offset: number,
    length: number,
    o?: AbortOptions,
  ): Promise<Uint8Array> {
    return this.inner.readBlockRange(key, offset, length, o)
  }
  async statBlock(key: string, o?: AbortOptions): Promise<RemoteObjectInfo | undefined> {
    const found = await this.inner.statBlock(key, o)
    await this.hooks.afterStat?.(key, found)
    return found
  }
  async deleteBlock(key: string, o?: AbortOptions): Promise<void> {
    await this.hooks.beforeDelete?.(key)
    if (this.hooks.failDelete?.(key) === true) throw new Error(`injected delete failure ${key}`)
    await this.inner.deleteBlock(key, o)
    this.deleted.push(key)
  }
  async *listObjects(prefix: string, o?: AbortOptions): AsyncGenerator<RemoteObjectInfo> {
    await this.hooks.beforeList?.(prefix)
    yield* this.inner.listObjects(prefix, o)
  }
  healthcheck(o?: AbortOptions): Promise<HealthReport> {
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
