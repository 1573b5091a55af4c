/**
 * Cold reads from the remote store: fast failure while the remote is unhealthy (before any
 * network I/O), one shared fetch per object for concurrent readers, a time budget per demand
 * fetch, and verification of every byte before it is served, so corrupt or missing bytes are an
 * error, never zeros: whole blocks against their SHA-256, ranges leaf by leaf against the
 * block's chunk index (ranged-fetch.ts).
 */
import type { AbortOptions } from '../core/abort.js'
import { chunkRootOf, type FileBlock } from '../core/block.js'
import { BlockStoreError, isBlockStoreError } from '../core/errors.js'
import { hasIndexTrailer } from '../core/keys.js'
import type { RemoteStore } from '../core/remote-store.js'
import { Semaphore } from '../core/semaphore.js'
import { hashOwnedBlock } from '../platform/hash-block.js'
import { RangeVerifier } from './ranged-fetch.js'

/**
 * What the fetcher needs of the remote's health monitor (sync/health-monitor.ts): whether to
 * fail fast, and where to report a read that failed because the remote is unreachable or an
 * object that failed verification.
 */
export interface FetchHealth {
  isHealthy(): boolean
  outageDurationMs(): number
  reportReadFailure(err: unknown): void
  reportIntegrityFailure(err: unknown): void
}

/** Options of a {@link Fetcher}. */
export interface FetcherOptions {
  readonly remote: RemoteStore
  /** Health of the remote; reads fail fast while it is unhealthy. */
  readonly health?: FetchHealth | undefined
  /** Remote reads in flight at once (default 8). */
  readonly parallelism?: number | undefined
  /** Time budget of one demand fetch (default 60 s). */
  readonly budgetMs?: number | undefined
}

/** Counters of a {@link Fetcher}. */
export interface FetcherStats {
  readonly blockFetches: number
  /** Verified ranged GETs of block data. */
  readonly rangeFetches: number
  /** Ranged GETs of chunk index records (see ranged-fetch.ts). */
  readonly indexFetches: number
  /** Bytes downloaded: whole blocks, ranges and chunk index records. */
  readonly bytesDownloaded: number
  /** Readers that joined a fetch already in flight instead of starting one. */
  readonly sharedFetches: number
  readonly integrityFailures: number
  /** Reads refused at once because the remote was unhealthy. */
  readonly offlineReadsBlocked: number
}

/** Fetches blocks and ranges of blocks from the remote store. */
export class Fetcher {
  readonly #remote: RemoteStore
  readonly #health: FetchHealth | undefined
  readonly #limit: Semaphore
  readonly #budgetMs: number
  readonly #inFlight = new Map<string, { row: FileBlock; data: Promise<Uint8Array> }>()
  readonly #ranges: RangeVerifier
  #stats = {
    blockFetches: 0,
    rangeFetches: 0,
    bytesDownloaded: 0,
    sharedFetches: 0,
    integrityFailures: 0,
    offlineReadsBlocked: 0,
  }

  constructor(options: FetcherOptions) {
    this.#remote = options.remote
    this.#health = options.health
    this.#limit = new Semaphore(options.parallelism ?? 8)
    this.#budgetMs = options.budgetMs ?? 60_000
    this.#ranges = new RangeVerifier((row, key, offset, length) =>
      this.#getRange(row, key, offset, length),
    )
  }

  /**
   * The whole block a Remote row points at, verified against the row's hash and size. The
   * bytes are shared with other readers of the same object and must never be modified.
   * @throws {BlockStoreError} BS_REMOTE_UNAVAILABLE (remote unhealthy or budget exceeded),
   * BS_BLOCK_NOT_FOUND (the object is gone), BS_INTEGRITY_CHECK_FAILED (bytes do not match).
   */
  async fetchBlock(row: FileBlock, options: AbortOptions = {}): Promise<Uint8Array> {
    this.#assertHealthy(row)
    const key = row.blockStoreKey
    const joined = this.#inFlight.get(key)
    let shared = joined?.data
    if (joined !== undefined && !sameContent(joined.row, row)) {
      // Two rows naming one key with different hashes: one of them is wrong. Each reader is
      // verified against its own row, so neither can be served the other's verdict.
      shared = this.#fetchVerified(row)
    } else if (shared === undefined) {
      shared = this.#fetchVerified(row)
      const entry = { row, data: shared }
      this.#inFlight.set(key, entry)
      // A verified block: the entry outlives the verification until every reader that joined
      // it (and any one arriving meanwhile) has resumed and published the block to the read
      // buffer: their continuations run as microtasks, before this macrotask. Dropping it when
      // the body arrived let a reader in the hashing window start a second GET of the object.
      const drop = (): void => {
        if (this.#inFlight.get(key) === entry) this.#inFlight.delete(key)
      }
      // A failed one is dropped at once (this handler runs before any joiner's): a reader
      // arriving after the failure makes its own attempt instead of inheriting a verdict
      // (timeout, network error, corrupt body) that a new GET may not repeat.
      shared.then(() => setImmediate(drop), drop)
    } else {
      this.#stats.sharedFetches++
    }
    return raceSignal(shared, options.signal)
  }

  /** One GET and one verification, shared by every reader of `row`'s object. */
  async #fetchVerified(row: FileBlock): Promise<Uint8Array> {
    const key = row.blockStoreKey
    // An object that carries its chunk index after the block: the block is its first
    // `dataSize` bytes (the index is for ranged reads; a whole block is checked by its hash).
    const fetched = await this.#withBudget(row, (signal) =>
      this.#limit.run(() =>
        hasIndexTrailer(key) && row.dataSize > 0
          ? this.#remote.readBlockRange(key, 0, row.dataSize, { signal })
          : this.#remote.readBlock(key, { signal }),
      ),
    )
    const data = await this.#verify(row, fetched)
    this.#stats.blockFetches++
    this.#stats.bytesDownloaded += data.length
    // Shared by every reader that joined this fetch, and kept by the read buffer: read-only.
    // No copy per reader: an 8 MiB copy into fresh memory costs as much as hashing the block.
    return data
  }

  /**
   * Bytes `[offset, offset + length)` of a Remote row's block, verified before they are
   * returned. A block with a chunk index is read with a ranged GET checked leaf by leaf
   * (src/sync/ranged-fetch.ts); a block without one (uploaded before chunk indexes existed),
   * or whose index object is missing, is fetched whole and checked against its SHA-256.
   * @throws {BlockStoreError} as {@link fetchBlock}; BS_INTEGRITY_CHECK_FAILED when the range
   * or its index record does not match the row (never unverified bytes).
   */
  async fetchRange(
    row: FileBlock,
    offset: number,
    length: number,
    options: AbortOptions = {},
  ): Promise<Uint8Array> {
    const whole = async (): Promise<Uint8Array> => {
      const data = await this.fetchBlock(row, options)
      return data.subarray(offset, Math.min(row.dataSize, offset + length))
    }
    const root = chunkRootOf(row)
    if (root === undefined) return whole()
    this.#assertHealthy(row)
    try {
      const data = await raceSignal(this.#ranges.read(row, root, offset, length), options.signal)
      this.#stats.rangeFetches++
      return data
    } catch (err) {
      if (isBlockStoreError(err, 'BS_INTEGRITY_CHECK_FAILED')) this.#integrityFailure(err)
      // Only the index can be missing here: a missing block object fails the whole fetch too.
      if (isBlockStoreError(err, 'BS_BLOCK_NOT_FOUND') && !options.signal?.aborted) return whole()
      throw err
    }
  }

  /** One ranged GET of `key` for `row`, within the parallelism bound and the time budget. */
  async #getRange(row: FileBlock, key: string, offset: number, length: number) {
    const data = await this.#withBudget(row, (signal) =>
      this.#limit.run(() => this.#remote.readBlockRange(key, offset, length, { signal })),
    )
    this.#stats.bytesDownloaded += data.length
    return data
  }

  /** True while a whole-block fetch of `key` is in flight (a reader can join it). */
  isFetching(key: string): boolean {
    return this.#inFlight.has(key)
  }

  /** Counters. */
  stats(): FetcherStats {
    return { ...this.#stats, indexFetches: this.#ranges.stats().indexFetches }
  }

  #assertHealthy(row: FileBlock): void {
    if (this.#health === undefined || this.#health.isHealthy()) return
    this.#stats.offlineReadsBlocked++
    const seconds = Math.floor(this.#health.outageDurationMs() / 1000)
    throw new BlockStoreError(
      'BS_REMOTE_UNAVAILABLE',
      `remote store unavailable (offline for ${seconds}s): block ${row.id} is only in the remote store`,
      { op: 'download', key: row.blockStoreKey },
    )
  }

  async #withBudget<T>(row: FileBlock, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const budget = new AbortController()
    const timer = setTimeout(() => budget.abort(), this.#budgetMs)
    try {
      return await fn(budget.signal)
    } catch (err) {
      // A read failing because the remote is unreachable counts against its health.
      this.#health?.reportReadFailure(budget.signal.aborted ? new Error('fetch timed out') : err)
      if (budget.signal.aborted) {
        throw new BlockStoreError(
          'BS_REMOTE_UNAVAILABLE',
          `fetching block ${row.id} exceeded its ${this.#budgetMs} ms budget`,
          { cause: err, op: 'download', key: row.blockStoreKey, durationMs: this.#budgetMs },
        )
      }
      if (isBlockStoreError(err, 'BS_BLOCK_NOT_FOUND')) {
        throw new BlockStoreError(
          'BS_BLOCK_NOT_FOUND',
          `block ${row.id} is recorded as remote but object ${row.blockStoreKey} is missing`,
          { cause: err, op: 'download', key: row.blockStoreKey },
        )
      }
      if (isBlockStoreError(err, 'BS_UNAVAILABLE')) {
        // Said of the remote, so the client can tell it from a local-tier failure.
        throw new BlockStoreError('BS_REMOTE_UNAVAILABLE', err.message, {
          cause: err,
          op: 'download',
          key: row.blockStoreKey,
        })
      }
      throw err
    } finally {
      clearTimeout(timer)
    }
  }

  /** Checks size and SHA-256; returns the bytes (moved back from the hashing thread). */
  async #verify(row: FileBlock, fetched: Uint8Array): Promise<Uint8Array> {
    const sizeOk = fetched.length === row.dataSize
    let data = fetched
    let hashOk = true
    if (sizeOk && !row.hash.isZero()) {
      // The fetched bytes are ours alone until returned: they can go to a hashing thread.
      const hashed = await hashOwnedBlock(fetched)
      data = hashed.data
      hashOk = hashed.hash.equals(row.hash)
    }
    if (sizeOk && hashOk) return data
    throw this.#integrityFailure(
      new BlockStoreError(
        'BS_INTEGRITY_CHECK_FAILED',
        `block ${row.id}: object ${row.blockStoreKey} has ${data.length} bytes` +
          (sizeOk ? ' that do not match their SHA-256' : `, expected ${row.dataSize}`),
        { op: 'download', key: row.blockStoreKey },
      ),
    )
  }

  /**
   * Counts a fetched block or range that failed verification and tells the health monitor,
   * which records it without marking the remote unhealthy: the remote answered, one object is
   * damaged, and refusing every other read (most of them of intact objects) would turn one
   * corrupt object into an outage. Returns `err` for the caller to throw.
   */
  #integrityFailure(err: BlockStoreError): BlockStoreError {
    this.#stats.integrityFailures++
    this.#health?.reportIntegrityFailure(err)
    return err
  }
}

/** True when two rows expect the same bytes (same hash and size). */
function sameContent(a: FileBlock, b: FileBlock): boolean {
  return a.dataSize === b.dataSize && a.hash.equals(b.hash)
}

/** Settles with `promise`, or rejects with the signal's reason as soon as it aborts. */
function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise
  signal.throwIfAborted()
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}
