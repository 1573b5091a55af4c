/**
 * RemoteStore: durable object storage for whole blocks (S3, a directory, memory).
 */
import type { AbortOptions } from './abort.js'
import type { ContentHash } from './hash.js'
import type { HealthReport } from './health.js'

/** Options of {@link RemoteStore.writeBlock}. */
export interface WriteBlockOptions extends AbortOptions {
  /**
   * SHA-256 of `data`, when the caller has computed it already. A store may send it instead of
   * hashing the bytes again (S3 signs it as the payload hash, and the server then refuses a
   * body that does not match it). Stores that have no use for it ignore it.
   */
  readonly sha256?: ContentHash | undefined
}

/** What a remote store can do. */
export interface RemoteStoreCapabilities {
  /** Objects survive close and reopen. */
  readonly persistent: boolean
  /**
   * `readBlockRange` fetches only the range (no whole-object read), so the engine serves small
   * random reads of cold blocks with ranged reads instead of whole-block fetches.
   */
  readonly rangeReads: boolean
}

/** One listed object. */
export interface RemoteObjectInfo {
  /** Key without the store's own prefix. */
  readonly key: string
  /** Size in bytes. */
  readonly size: number
  /** Last modification, ms since the Unix epoch. */
  readonly lastModified: number
}

/** Request and byte counters of a remote store (for stats and cost estimates). */
export interface RemoteStoreStats {
  /** Requests sent, by kind (e.g. "put", "get", "list", "delete", "copy", "head"). */
  readonly requests: Readonly<Record<string, number>>
  /** Requests that failed, by kind. */
  readonly failures: Readonly<Record<string, number>>
  /** Payload bytes sent to the store. */
  readonly bytesUploaded: number
  /** Payload bytes received from the store. */
  readonly bytesDownloaded: number
}

/**
 * Durable storage of immutable block objects, by key (the engine's keys are content
 * addresses, `blocks/{hh}/{sha256}`; any string must work).
 *
 * Every method is called by the engine: the uploader (`writeBlock`, `statBlock`), cold reads
 * (`readBlock`, `readBlockRange`), garbage collection (`listObjects`, `deleteBlock`), the health
 * monitor (`healthcheck`) and stats. Rules (checked by `describeRemoteStore`): the store keeps
 * no reference to written bytes and reads return fresh bytes; after `close()` every data
 * operation fails with BS_STORE_CLOSED; an already aborted signal rejects with its reason.
 * Network failures, timeouts, 5xx and throttling fail with BS_UNAVAILABLE (transient).
 */
export interface RemoteStore extends AsyncDisposable {
  readonly capabilities: RemoteStoreCapabilities
  /** Backend name, e.g. "s3", "fs", "memory". */
  readonly backend: string

  /**
   * Creates or replaces one object. The store may read `data` until the call settles (the
   * caller must not modify it meanwhile) and keeps no reference to it afterwards.
   */
  writeBlock(key: string, data: Uint8Array, options?: WriteBlockOptions): Promise<void>
  /** @throws {BlockStoreError} BS_BLOCK_NOT_FOUND when missing. */
  readBlock(key: string, options?: AbortOptions): Promise<Uint8Array>
  /**
   * Bytes `[offset, min(offset + length, size))` of an object.
   * @throws {BlockStoreError} BS_BLOCK_NOT_FOUND when missing; BS_INVALID_OFFSET when
   * `offset` is not a non-negative safe integer or is at or past the end; BS_INVALID_SIZE when
   * `length` is not a positive safe integer or `offset + length` overflows.
   */
  readBlockRange(
    key: string,
    offset: number,
    length: number,
    options?: AbortOptions,
  ): Promise<Uint8Array>
  /** Size and time of one object, or `undefined` when missing. */
  statBlock(key: string, options?: AbortOptions): Promise<RemoteObjectInfo | undefined>
  /** Deletes one object; deleting a missing key succeeds. */
  deleteBlock(key: string, options?: AbortOptions): Promise<void>
  /**
   * Objects (key, size, time) whose key starts with `prefix` (a plain string prefix), in
   * ascending UTF-8 byte order of keys, paged lazily. Garbage collection's sweep lists with it.
   */
  listObjects(prefix: string, options?: AbortOptions): AsyncIterable<RemoteObjectInfo>
  /** Probes the store; never throws. An aborted signal gives status "unknown". */
  healthcheck(options?: AbortOptions): Promise<HealthReport>
  /** Request and byte counters. */
  stats(): RemoteStoreStats
  /** Idempotent. */
  close(): Promise<void>
}
