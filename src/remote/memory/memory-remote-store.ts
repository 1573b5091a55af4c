/**
 * MemoryRemoteStore: a RemoteStore in a Map, for tests and embedding.
 */
import { type AbortOptions, throwIfAborted } from '../../core/abort.js'
import { type HealthReport, probeHealth } from '../../core/health.js'
import type {
  RemoteObjectInfo,
  RemoteStore,
  RemoteStoreCapabilities,
  RemoteStoreStats,
} from '../../core/remote-store.js'
import { blockNotFound, checkRangeArgs, compareKeys, offsetPastEnd, storeClosed } from '../range.js'
import { RequestStats } from '../request-stats.js'

interface StoredObject {
  readonly data: Uint8Array
  readonly lastModified: number
}

const BACKEND = 'memory'

/**
 * A non-persistent {@link RemoteStore}. `close()` drops every object.
 *
 * @example
 * await using remote = new MemoryRemoteStore()
 * await remote.writeBlock('file/block-0', bytes)
 */
export class MemoryRemoteStore implements RemoteStore {
  readonly backend = BACKEND
  readonly capabilities: RemoteStoreCapabilities = {
    persistent: false,
    rangeReads: true,
  }
  #objects = new Map<string, StoredObject>()
  #closed = false
  #stats = new RequestStats()

  /** Number of stored objects. */
  blockCount(): number {
    return this.#objects.size
  }

  /** Sum of the sizes of every stored object. */
  totalSize(): number {
    let total = 0
    for (const o of this.#objects.values()) total += o.data.byteLength
    return total
  }

  /** @throws {BlockStoreError} BS_STORE_CLOSED after close. */
  async writeBlock(key: string, data: Uint8Array, options?: AbortOptions): Promise<void> {
    this.#enter('writeBlock', options)
    this.#stats.request('put')
    this.#stats.uploaded(data.byteLength)
    this.#objects.set(key, { data: data.slice(), lastModified: Date.now() })
  }

  /** @throws {BlockStoreError} BS_BLOCK_NOT_FOUND, BS_STORE_CLOSED. */
  async readBlock(key: string, options?: AbortOptions): Promise<Uint8Array> {
    this.#enter('readBlock', options)
    const data = this.#get('get', key).data.slice()
    this.#stats.downloaded(data.byteLength)
    return data
  }

  /** @throws {BlockStoreError} BS_BLOCK_NOT_FOUND, BS_INVALID_OFFSET, BS_INVALID_SIZE, BS_STORE_CLOSED. */
  async readBlockRange(
    key: string,
    offset: number,
    length: number,
    options?: AbortOptions,
  ): Promise<Uint8Array> {
    this.#enter('readBlockRange', options)
    checkRangeArgs(key, offset, length)
    const { data } = this.#get('get', key)
    if (offset >= data.byteLength) throw offsetPastEnd(key, offset, data.byteLength)
    const out = data.slice(offset, Math.min(offset + length, data.byteLength))
    this.#stats.downloaded(out.byteLength)
    return out
  }

  /** @throws {BlockStoreError} BS_STORE_CLOSED. */
  async statBlock(key: string, options?: AbortOptions): Promise<RemoteObjectInfo | undefined> {
    this.#enter('statBlock', options)
    this.#stats.request('head')
    const o = this.#objects.get(key)
    return o === undefined ? undefined : info(key, o)
  }

  /** @throws {BlockStoreError} BS_STORE_CLOSED. */
  async deleteBlock(key: string, options?: AbortOptions): Promise<void> {
    this.#enter('deleteBlock', options)
    this.#stats.request('delete')
    this.#objects.delete(key)
  }

  /** @throws {BlockStoreError} BS_STORE_CLOSED. */
  async *listObjects(prefix: string, options?: AbortOptions): AsyncIterable<RemoteObjectInfo> {
    this.#enter('listObjects', options)
    this.#stats.request('list')
    const found: RemoteObjectInfo[] = []
    for (const [key, o] of this.#objects) if (key.startsWith(prefix)) found.push(info(key, o))
    found.sort((a, b) => compareKeys(a.key, b.key))
    for (const o of found) {
      throwIfAborted(options)
      yield o
    }
  }

  /** Healthy while open; unhealthy after close; unknown on an aborted signal. */
  healthcheck(options?: AbortOptions): Promise<HealthReport> {
    return probeHealth(async () => {
      if (this.#closed) throw storeClosed(BACKEND, 'healthcheck')
    }, options?.signal)
  }

  /** Request and byte counters. */
  stats(): RemoteStoreStats {
    return this.#stats.snapshot()
  }

  /** Drops every object; idempotent. */
  async close(): Promise<void> {
    this.#closed = true
    this.#objects.clear()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  #enter(op: string, options: AbortOptions | undefined): void {
    throwIfAborted(options)
    if (this.#closed) throw storeClosed(BACKEND, op)
  }

  #get(kind: string, key: string): StoredObject {
    this.#stats.request(kind)
    const o = this.#objects.get(key)
    if (o === undefined) {
      this.#stats.failure(kind)
      throw blockNotFound(key, BACKEND)
    }
    return o
  }
}

function info(key: string, o: StoredObject): RemoteObjectInfo {
  return { key, size: o.data.byteLength, lastModified: o.lastModified }
}
