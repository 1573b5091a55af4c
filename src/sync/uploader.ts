/**
 * Background upload of Local blocks: bounded parallelism, re-hash right before upload
 * (trap 30), dedup by SHA-256 onto content-addressed keys, compare-and-set transitions so a
 * block written during its upload is never marked Remote with stale bytes (trap 47), and
 * per-block exponential backoff so a permanently failing block never spins.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { debuglog } from 'node:util'
import type { AbortOptions } from '../core/abort.js'
import { BlockState, type FileBlock } from '../core/block.js'
import { BlockStoreError, isBlockStoreError } from '../core/errors.js'
import { forEachBounded } from '../core/for-each-bounded.js'
import { ContentHash } from '../core/hash.js'
import { formatContentKey, parseBlockId } from '../core/keys.js'
import type { LocalStore } from '../core/local-store.js'
import type { MetadataStore } from '../core/metadata-store.js'
import type { RemoteStore } from '../core/remote-store.js'
import { hashBlockAsync } from '../platform/hash-block.js'

const log = debuglog('blockstore:sync')
/** Commits retried while GC holds a fence on the key, waiting 20, 40, ... 1280 ms. */
const FENCE_RETRIES = 7
const FENCE_WAIT_MS = 20

/** Options of an {@link Uploader}. */
export interface UploaderOptions {
  readonly local: LocalStore
  readonly remote: RemoteStore
  readonly metadata: MetadataStore
  /** Uploads in flight at once (default 8). */
  readonly parallelism?: number | undefined
  /** First retry delay after a failed upload; doubles per failure (default 1 s). */
  readonly backoffBaseMs?: number | undefined
  /** Longest retry delay (default 5 min). */
  readonly backoffMaxMs?: number | undefined
  /** Rows listed per pass (default 1024). */
  readonly batchSize?: number | undefined
  /** Clock, for tests. */
  readonly now?: (() => number) | undefined
}

/** What one upload of a block did. */
export type UploadOutcome = 'uploaded' | 'deduplicated' | 'skipped' | 'superseded'

/** A block that failed to upload, with the error. */
export interface BlockUploadError {
  readonly blockId: string
  readonly error: Error
}

/** Result of a pass or a drain. */
export interface UploadReport {
  readonly uploaded: number
  readonly deduplicated: number
  /** Blocks written again while uploading: their bytes will be uploaded by a later pass. */
  readonly superseded: number
  readonly bytesUploaded: number
  readonly failed: readonly BlockUploadError[]
}

/** Counters since the uploader was created. */
export interface UploaderStats {
  readonly uploaded: number
  readonly deduplicated: number
  readonly superseded: number
  readonly failed: number
  readonly bytesUploaded: number
  readonly inFlight: number
  /** Blocks waiting for their backoff to expire. */
  readonly backingOff: number
  readonly lastError: string | undefined
  readonly lastErrorAt: number
}

interface Backoff {
  failures: number
  notBefore: number
}

/** Uploads Local blocks to the remote store. */
export class Uploader {
  readonly #local: LocalStore
  readonly #remote: RemoteStore
  readonly #metadata: MetadataStore
  readonly #parallelism: number
  readonly #backoffBase: number
  readonly #backoffMax: number
  readonly #batch: number
  readonly #now: () => number
  readonly #backoff = new Map<string, Backoff>()
  /** Blocks being uploaded now: two passes never upload the same block at once. */
  readonly #inFlight = new Set<string>()
  /** Remote keys being written now, so identical blocks wait instead of uploading twice. */
  readonly #uploading = new Map<string, Promise<void>>()
  #counters = { uploaded: 0, deduplicated: 0, superseded: 0, failed: 0, bytesUploaded: 0 }
  #lastError: string | undefined
  #lastErrorAt = 0

  constructor(options: UploaderOptions) {
    this.#local = options.local
    this.#remote = options.remote
    this.#metadata = options.metadata
    this.#parallelism = Math.max(1, options.parallelism ?? 8)
    this.#backoffBase = options.backoffBaseMs ?? 1_000
    this.#backoffMax = options.backoffMaxMs ?? 300_000
    this.#batch = Math.max(1, options.batchSize ?? 1024)
    this.#now = options.now ?? Date.now
  }

  /**
   * One pass over Local blocks idle for at least `olderThanMs` (0: all). Blocks in backoff are
   * skipped unless `ignoreBackoff`. Never throws for a block; failures are in the report.
   */
  async pass(
    olderThanMs: number,
    options: AbortOptions & { ignoreBackoff?: boolean; rows?: readonly FileBlock[] } = {},
  ): Promise<UploadReport> {
    const rows =
      options.rows ?? (await this.#metadata.listLocalBlocks(olderThanMs, this.#batch, options))
    const now = this.#now()
    const todo = rows.filter((r) => {
      if (r.state !== BlockState.Local || r.localPath === '' || this.#inFlight.has(r.id))
        return false
      const b = this.#backoff.get(r.id)
      return options.ignoreBackoff === true || b === undefined || b.notBefore <= now
    })
    const report = { uploaded: 0, deduplicated: 0, superseded: 0, bytesUploaded: 0 }
    const failed: BlockUploadError[] = []
    // After an abort no new block starts; the pass rejects once the in-flight ones settle.
    await forEachBounded(
      todo,
      this.#parallelism,
      async (row) => {
        try {
          const { outcome, bytes } = await this.uploadBlock(row, options)
          if (outcome === 'uploaded') report.uploaded++
          if (outcome === 'deduplicated') report.deduplicated++
          if (outcome === 'superseded') report.superseded++
          report.bytesUploaded += bytes
        } catch (err) {
          // An abort of the whole pass is not a block failure: it ends the pass.
          if (options.signal?.aborted) throw err
          failed.push({ blockId: row.id, error: err as Error })
        }
      },
      options,
    )
    return { ...report, failed }
  }

  /**
   * Uploads one block: claim (Local→Syncing), snapshot, hash, dedup or upload, then
   * Syncing→Remote. Every transition is a compare-and-set on the row version.
   * @throws the upload error after reverting the claim and scheduling a retry.
   */
  async uploadBlock(
    row: FileBlock,
    options: AbortOptions = {},
  ): Promise<{ outcome: UploadOutcome; bytes: number }> {
    const address = parseBlockId(row.id)
    if (address === undefined || row.state !== BlockState.Local)
      return { outcome: 'skipped', bytes: 0 }
    if (this.#inFlight.has(row.id)) return { outcome: 'skipped', bytes: 0 }
    this.#inFlight.add(row.id)
    try {
      const claimed = await this.#metadata.compareAndPutFileBlock(
        { ...row, state: BlockState.Syncing },
        row.version,
        options,
      )
      if (claimed === undefined) return { outcome: 'skipped', bytes: 0 } // someone else moved it
      // The latest version this upload wrote: what a failure must revert.
      let current = claimed
      try {
        const snapshot = await this.#local.readBlockSnapshot(
          address.payloadId,
          address.blockIdx,
          options,
        )
        if (snapshot.row.version !== claimed.version) {
          // Written between the claim and the copy: the writer made the row Dirty.
          this.#counters.superseded++
          return { outcome: 'superseded', bytes: 0 }
        }
        const data = snapshot.data
        const hash = await hashBlockAsync(data)
        const { done: pinned, key, deduplicated } = await this.#commit(claimed, data, hash, options)
        this.#backoff.delete(row.id)
        if (pinned === undefined) {
          // Written while uploading: the object stays unreferenced for GC; the new bytes are
          // uploaded by a later pass.
          this.#counters.superseded++
          return { outcome: 'superseded', bytes: 0 }
        }
        current = pinned
        // The row now references the key (GC can no longer delete it) but is still Syncing (so
        // nothing can evict the local copy): make sure the object exists, then go Remote.
        const reuploaded = await this.#ensureObject(key, data, pinned, options)
        const done = await this.#metadata.compareAndPutFileBlock(
          { ...pinned, state: BlockState.Remote },
          pinned.version,
          options,
        )
        if (done === undefined) {
          this.#counters.superseded++
          return { outcome: 'superseded', bytes: 0 }
        }
        if (deduplicated && !reuploaded) {
          this.#counters.deduplicated++
          return { outcome: 'deduplicated', bytes: 0 }
        }
        this.#counters.uploaded++
        this.#counters.bytesUploaded += data.length
        log('uploaded %s (%d bytes) as %s', row.id, data.length, key)
        return { outcome: 'uploaded', bytes: data.length }
      } catch (err) {
        await this.#revert(current)
        throw this.#fail(row.id, err)
      }
    } finally {
      this.#inFlight.delete(row.id)
    }
  }

  /** Writes one object, letting blocks with the same content key wait for it. */
  async #upload(key: string, data: Uint8Array, options: AbortOptions): Promise<void> {
    const write = this.#remote.writeBlock(key, data, options)
    this.#uploading.set(key, write)
    try {
      await write
    } finally {
      if (this.#uploading.get(key) === write) this.#uploading.delete(key)
    }
  }

  /** Counters. */
  stats(): UploaderStats {
    return {
      ...this.#counters,
      inFlight: this.#inFlight.size,
      backingOff: this.#backoff.size,
      lastError: this.#lastError,
      lastErrorAt: this.#lastErrorAt,
    }
  }

  /**
   * Dedup or upload, then a compare-and-set that records the hash and key on the still-Syncing
   * row (a reference GC honours). A commit refused because GC has
   * fenced the key (BS_BUSY: it is deleting that very object) is retried after a short wait:
   * the fence lasts one deletion, after which the stat finds the object gone and we upload.
   */
  async #commit(
    claimed: FileBlock,
    data: Uint8Array,
    hash: ContentHash,
    options: AbortOptions,
  ): Promise<{ done: FileBlock | undefined; key: string; deduplicated: boolean }> {
    for (let attempt = 0; ; attempt++) {
      const donor = await this.#metadata.findFileBlockByHash(hash, options)
      const key = donor?.blockStoreKey || formatContentKey(hash)
      // The same content being uploaded for another block right now: wait and reference it
      // instead of sending the same bytes twice.
      const sameContent = this.#uploading.get(key)
      if (sameContent !== undefined) await sameContent.catch(() => {})
      // A donor row whose object is gone must never be trusted (trap 44): uploading to the
      // same content key then heals the donor as well. A content key always holds the same
      // bytes, so an existing object of the right size is the content.
      const deduplicated =
        (donor !== undefined || sameContent !== undefined) &&
        (await this.#remote.statBlock(key, options))?.size === data.length
      if (!deduplicated) await this.#upload(key, data, options)
      try {
        const done = await this.#metadata.compareAndPutFileBlock(
          {
            ...claimed,
            // Still Syncing: referenced (protected from GC) but not evictable until verified.
            state: BlockState.Syncing,
            hash,
            blockStoreKey: key,
            dataSize: data.length,
          },
          claimed.version,
          options,
        )
        return { done, key, deduplicated }
      } catch (err) {
        if (!isBlockStoreError(err, 'BS_BUSY') || attempt >= FENCE_RETRIES) throw err
        await sleep(FENCE_WAIT_MS * 2 ** attempt, undefined, options)
      }
    }
  }

  /**
   * After committing a row that references `key`: garbage collection may have deleted the
   * object between our stat (or upload) and the commit. From the commit on, our row keeps GC
   * from deleting it again (docs/gc.md), so one check, and one re-upload of the bytes we still
   * hold, closes the race; the caller reverts the row to Local if this fails.
   * Resolves `true` when the bytes were uploaded again.
   */
  async #ensureObject(
    key: string,
    data: Uint8Array,
    committed: FileBlock,
    options: AbortOptions,
  ): Promise<boolean> {
    if ((await this.#remote.statBlock(key, options))?.size === data.length) return false
    log('object %s of %s vanished before its commit; uploading it again', key, committed.id)
    await this.#remote.writeBlock(key, data, options)
    return true
  }

  /**
   * Puts a claimed row back to Local so a later pass retries it (only if still claimed). Any
   * hash and key recorded by the claim are cleared: they were never confirmed.
   */
  async #revert(claimed: FileBlock): Promise<void> {
    try {
      await this.#metadata.compareAndPutFileBlock(
        { ...claimed, state: BlockState.Local, hash: ContentHash.ZERO, blockStoreKey: '' },
        claimed.version,
      )
    } catch (err) {
      // Crash recovery reverts Syncing rows too; nothing is lost if this fails.
      log('revert of %s failed: %o', claimed.id, err)
    }
  }

  #fail(blockId: string, err: unknown): Error {
    const previous = this.#backoff.get(blockId)
    const failures = (previous?.failures ?? 0) + 1
    const delay = Math.min(this.#backoffMax, this.#backoffBase * 2 ** (failures - 1))
    // Jitter spreads retries of many blocks that failed together (an outage).
    this.#backoff.set(blockId, {
      failures,
      notBefore: this.#now() + delay * (0.5 + Math.random() / 2),
    })
    this.#counters.failed++
    const error =
      err instanceof Error
        ? err
        : new BlockStoreError('BS_UNAVAILABLE', String(err), { op: 'upload', key: blockId })
    this.#lastError = `${blockId}: ${error.message}`
    this.#lastErrorAt = this.#now()
    log('upload of %s failed (%d): %s', blockId, failures, error.message)
    return isBlockStoreError(error)
      ? error
      : new BlockStoreError('BS_UNAVAILABLE', `upload of ${blockId} failed: ${error.message}`, {
          cause: error,
          op: 'upload',
        })
  }
}
