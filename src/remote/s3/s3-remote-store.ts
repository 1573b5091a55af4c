/**
 * S3RemoteStore: the remote tier on S3 or any S3-compatible server (Ceph RGW, MinIO...).
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import { type AbortOptions, throwIfAborted } from '../../core/abort.js'
import { BlockStoreError } from '../../core/errors.js'
import { type HealthReport, probeHealth } from '../../core/health.js'
import type {
  RemoteObjectInfo,
  RemoteStore,
  RemoteStoreCapabilities,
  RemoteStoreStats,
  WriteBlockOptions,
} from '../../core/remote-store.js'
import { checkRangeArgs, storeClosed } from '../range.js'
import { RequestStats } from '../request-stats.js'
import { presetPayloadHash } from './payload-hash.js'
import { readBody } from './read-body.js'
import { deleteKeys } from './s3-delete.js'
import { openCheck } from './s3-open.js'
import { createS3Client, resolveS3Options, type S3RemoteStoreOptions } from './s3-options.js'
import { S3Requester } from './s3-request.js'

const BACKEND = 's3'
const LIST_PAGE = 1000

/** Counters of the S3 store: the common ones plus retries. */
export interface S3RemoteStoreStats extends RemoteStoreStats {
  /** Attempts beyond the first of an operation. */
  readonly retries: number
}

/**
 * A {@link RemoteStore} on an S3 bucket. One PutObject per block (no multipart: blocks are at
 * most 8 MiB), ranged GETs; beyond the contract, `deleteByPrefix` empties a prefix in batched
 * deletes with per-key errors checked.
 *
 * @example
 * await using remote = await S3RemoteStore.open({ bucket: 'blocks', endpoint: 'http://127.0.0.1:7480' })
 */
export class S3RemoteStore implements RemoteStore {
  readonly backend = BACKEND
  readonly capabilities: RemoteStoreCapabilities = {
    persistent: true,
    rangeReads: true,
  }
  /** Bucket name. */
  readonly bucket: string
  /** Key prefix of every object of this store. */
  readonly prefix: string
  readonly #client: S3Client
  readonly #ownsClient: boolean
  readonly #stats: RequestStats
  readonly #requester: S3Requester
  readonly #inflight = new Set<Promise<unknown>>()
  #closed = false

  /** Use {@link S3RemoteStore.open}, which checks credentials and the bucket. */
  private constructor(options: S3RemoteStoreOptions) {
    const resolved = resolveS3Options(options)
    this.bucket = resolved.bucket
    this.prefix = resolved.prefix
    this.#stats = new RequestStats()
    this.#requester = new S3Requester(resolved.policy, this.#stats)
    this.#ownsClient = options.client === undefined
    this.#client = options.client ?? createS3Client(options, resolved.policy)
  }

  /**
   * Builds the client, resolves credentials and checks the bucket with HeadBucket.
   * @throws {BlockStoreError} BS_INVALID_CONFIG (bad options or endpoint, no credentials,
   * missing bucket), BS_ACCESS_DENIED (credentials refused), BS_UNAVAILABLE (server down).
   */
  static async open(options: S3RemoteStoreOptions, abort?: AbortOptions): Promise<S3RemoteStore> {
    throwIfAborted(abort)
    const store = new S3RemoteStore(options)
    try {
      await openCheck(
        store.#client,
        store.bucket,
        options.credentials === undefined && options.client === undefined,
        () =>
          store.#run('head', 'open', undefined, abort, (signal) =>
            store.#client.send(new HeadBucketCommand({ Bucket: store.bucket }), {
              abortSignal: signal,
            }),
          ),
      )
    } catch (err) {
      await store.close()
      throw err
    }
    return store
  }

  /**
   * One PutObject. The body is sent as it is, without a copy: the SDK reads it during the call
   * only. With `options.sha256` the digest is signed as the payload hash instead of the SDK
   * hashing all the bytes again, and the server refuses a body that does not match it.
   * @throws {BlockStoreError} BS_STORE_CLOSED, BS_UNAVAILABLE, BS_ACCESS_DENIED.
   */
  async writeBlock(key: string, data: Uint8Array, options?: WriteBlockOptions): Promise<void> {
    const payloadHash = options?.sha256?.toString()
    await this.#run('put', 'writeBlock', key, options, (signal) => {
      const command = new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.prefix + key,
        Body: data,
        ContentLength: data.byteLength,
      })
      if (payloadHash !== undefined) presetPayloadHash(command, payloadHash)
      return this.#client.send(command, { abortSignal: signal })
    })
    this.#stats.uploaded(data.byteLength)
  }

  /** @throws {BlockStoreError} BS_BLOCK_NOT_FOUND, BS_STORE_CLOSED, BS_UNAVAILABLE. */
  readBlock(key: string, options?: AbortOptions): Promise<Uint8Array> {
    return this.#run('get', 'readBlock', key, options, async (signal) => {
      const out = await this.#client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }),
        { abortSignal: signal },
      )
      const data = await readBody(out.Body, out.ContentLength, signal)
      this.#stats.downloaded(data.byteLength)
      return data
    })
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
    return this.#run('get', 'readBlockRange', key, options, async (signal) => {
      const out = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.prefix + key,
          Range: `bytes=${offset}-${offset + length - 1}`,
        }),
        { abortSignal: signal },
      )
      const data = await readBody(out.Body, out.ContentLength, signal)
      this.#stats.downloaded(data.byteLength)
      if (out.ContentRange !== undefined) return data
      // A server that ignores Range sends the whole object: cut it here.
      if (offset >= data.byteLength) {
        throw new BlockStoreError(
          'BS_INVALID_OFFSET',
          `offset ${offset} is past the end of ${key}`,
          {
            key,
            backend: BACKEND,
          },
        )
      }
      return data.slice(offset, Math.min(offset + length, data.byteLength))
    })
  }

  /** @throws {BlockStoreError} BS_STORE_CLOSED, BS_UNAVAILABLE. */
  async statBlock(key: string, options?: AbortOptions): Promise<RemoteObjectInfo | undefined> {
    try {
      const out = await this.#run('head', 'statBlock', key, options, (signal) =>
        this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }), {
          abortSignal: signal,
        }),
      )
      return { key, size: out.ContentLength ?? 0, lastModified: out.LastModified?.getTime() ?? 0 }
    } catch (err) {
      if (err instanceof BlockStoreError && err.code === 'BS_BLOCK_NOT_FOUND') return undefined
      throw err
    }
  }

  /** @throws {BlockStoreError} BS_STORE_CLOSED, BS_UNAVAILABLE. */
  async deleteBlock(key: string, options?: AbortOptions): Promise<void> {
    await this.#run('delete', 'deleteBlock', key, options, (signal) =>
      this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }), {
        abortSignal: signal,
      }),
    )
  }

  /**
   * Deletes every object whose key starts with `prefix` (`''`: every object of this store),
   * page by page with DeleteObjects (1,000 keys per request); returns how many were deleted.
   * Not part of {@link RemoteStore} (the engine never deletes by prefix; garbage collection
   * deletes object by object under its fences): for whoever empties a bucket prefix, such as the
   * benchmarks and the tests after a run.
   * @throws {BlockStoreError} when any key of any batch was not deleted (never a success that
   * leaves objects behind).
   */
  async deleteByPrefix(prefix: string, options?: AbortOptions): Promise<number> {
    this.#enter('deleteByPrefix', options)
    let deleted = 0
    let page: string[] = []
    const flush = async (): Promise<void> => {
      const keys = page
      page = []
      deleted += await this.#run('delete', 'deleteByPrefix', prefix, options, (signal) =>
        deleteKeys(this.#client, this.bucket, keys, signal),
      )
    }
    for await (const o of this.listObjects(prefix, options)) {
      page.push(this.prefix + o.key)
      if (page.length === LIST_PAGE) await flush()
    }
    if (page.length > 0) await flush()
    return deleted
  }

  /**
   * Keys of {@link listObjects}, for callers that want keys only (the benchmarks). Not part of
   * {@link RemoteStore}.
   * @throws {BlockStoreError} BS_STORE_CLOSED, BS_UNAVAILABLE.
   */
  async *listByPrefix(prefix: string, options?: AbortOptions): AsyncIterable<string> {
    for await (const o of this.listObjects(prefix, options)) yield o.key
  }

  /** @throws {BlockStoreError} BS_STORE_CLOSED, BS_UNAVAILABLE. */
  async *listObjects(prefix: string, options?: AbortOptions): AsyncIterable<RemoteObjectInfo> {
    let token: string | undefined
    do {
      const page = await this.#run('list', 'listObjects', prefix, options, (signal) =>
        this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix + prefix,
            MaxKeys: LIST_PAGE,
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
          { abortSignal: signal },
        ),
      )
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined || !o.Key.startsWith(this.prefix)) continue
        yield {
          key: o.Key.slice(this.prefix.length),
          size: o.Size ?? 0,
          lastModified: o.LastModified?.getTime() ?? 0,
        }
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined
    } while (token !== undefined)
  }

  /** HeadBucket, one attempt: healthy, unhealthy with the reason, unknown when aborted. */
  healthcheck(options?: AbortOptions): Promise<HealthReport> {
    return probeHealth(async () => {
      await this.#run(
        'head',
        'healthcheck',
        undefined,
        options,
        (signal) =>
          this.#client.send(new HeadBucketCommand({ Bucket: this.bucket }), {
            abortSignal: signal,
          }),
        1,
      )
    }, options?.signal)
  }

  /** Requests by kind (each attempt counts), failures, retries and payload bytes. */
  stats(): S3RemoteStoreStats {
    return { ...this.#stats.snapshot(), retries: this.#requester.retries }
  }

  /** Refuses new calls, waits for the ones in flight, then releases the client's sockets. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.allSettled([...this.#inflight])
    if (this.#ownsClient) this.#client.destroy()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  #enter(op: string, options: AbortOptions | undefined): void {
    throwIfAborted(options)
    if (this.#closed) throw storeClosed(BACKEND, op)
  }

  async #run<T>(
    kind: string,
    op: string,
    key: string | undefined,
    options: AbortOptions | undefined,
    attempt: (signal: AbortSignal) => Promise<T>,
    maxAttempts?: number,
  ): Promise<T> {
    this.#enter(op, options)
    const ctx = { op, bucket: this.bucket, key }
    const p = this.#requester.run(kind, ctx, options, attempt, maxAttempts)
    this.#inflight.add(p)
    try {
      return await p
    } finally {
      this.#inflight.delete(p)
    }
  }
}
