/**
 * Background upload of Local blocks: bounded parallelism, re-hash right before upload (so
 * the key names the bytes actually sent, not an older hash), dedup by SHA-256 onto
 * content-addressed keys, compare-and-set transitions so a block written during its upload
 * is never marked Remote with stale bytes, and per-block exponential backoff so a permanently
 * failing block never spins.
 */
import { debuglog } from 'node:util'
import type { AbortOptions } from '../core/abort.js'
import { BlockState, type FileBlock } from '../core/block.js'
import { BlockSize } from '../core/constants.js'
import { BlockStoreError, isBlockStoreError } from '../core/errors.js'
import { parseBlockId } from '../core/keys.js'
import type { LocalStore } from '../core/local-store.js'
import type { MetadataStore } from '../core/metadata-store.js'
import type { RemoteStore } from '../core/remote-store.js'
import { Semaphore } from '../core/semaphore.js'
import { hashOwnedBlockWithChunks } from '../platform/hash-block.js'
import { BufferPool } from './buffer-pool.js'
import { ensureObject, withIndexRoom } from './object-upload.js'
import { claimContent, lazily, revertClaim } from './upload-claim.js'
import type {
  BlockUploadError,
  UploaderOptions,
  UploaderStats,
  UploadOutcome,
  UploadReport,
} from './upload-types.js'
import { weightOf } from './upload-weight.js'

export type {
  BlockUploadError,
  UploaderOptions,
  UploaderStats,
  UploadOutcome,
  UploadReport,
} from './upload-types.js'

const log = debuglog('blockstore:sync')

/**
 * Full blocks prepared (claimed, read, hashed) beyond those on the wire, so the next PUT
 * starts as soon as a slot frees. Preparing takes about a tenth of a PUT's time (a read from
 * the page cache, 20-30 ms of hashing on a worker, two row commits that do not wait for a
 * sync), so two ahead keep every slot busy; each one more is another 8 MiB buffer touched
 * for the first time at each burst.
 */
const PREPARE_AHEAD = 2

/** How long the snapshot buffers outlive the last upload (see BufferPool.releaseAfter). */
const BUFFERS_KEPT_MS = 10_000

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
  /** Full blocks' worth in progress at once: on the wire plus {@link PREPARE_AHEAD}. */
  readonly #inProgress: number
  /**
   * Bounds the bytes on the wire to `parallelism` full blocks (see weightOf); preparing blocks
   * does not hold a slot.
   */
  readonly #sending: Semaphore
  readonly #backoffBase: number
  readonly #backoffMax: number
  readonly #batch: number
  readonly #now: () => number
  readonly #backoff = new Map<string, Backoff>()
  /** Blocks being uploaded now: two passes never upload the same block at once. */
  readonly #inFlight = new Set<string>()
  /** Remote keys being written now, so identical blocks wait instead of uploading twice. */
  readonly #uploading = new Map<string, Promise<void>>()
  /** Snapshot buffers reused across blocks; emptied whenever no upload is in progress. */
  readonly #buffers: BufferPool
  #counters = { uploaded: 0, deduplicated: 0, superseded: 0, failed: 0, bytesUploaded: 0 }
  #lastError: string | undefined
  #lastErrorAt = 0

  constructor(options: UploaderOptions) {
    this.#local = options.local
    this.#remote = options.remote
    this.#metadata = options.metadata
    this.#parallelism = Math.max(1, options.parallelism ?? 8)
    this.#inProgress = this.#parallelism + PREPARE_AHEAD
    this.#sending = new Semaphore(this.#parallelism * BlockSize)
    this.#backoffBase = options.backoffBaseMs ?? 1_000
    this.#backoffMax = options.backoffMaxMs ?? 300_000
    this.#batch = Math.max(1, options.batchSize ?? 1024)
    this.#now = options.now ?? Date.now
    // As many full blocks' worth as can be in progress at once (see pass()), each with room
    // for the chunk index that goes after the block in its object.
    this.#buffers = new BufferPool(withIndexRoom(BlockSize), this.#inProgress)
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
    // More bytes in progress than on the wire: reading, hashing and claiming the next blocks
    // overlaps the sends of the previous ones. Measured on a 1 GiB drain to Ceph RGW with one
    // stage per slot (before commits stopped waiting for syncs and hashing left the event
    // loop): snapshot 78 ms, hash 128 ms, claim 71 ms, PUT 290 ms, commit 53 ms, so a slot
    // was on the wire under half the time (3.6 PUTs in flight of 8). See PREPARE_AHEAD.
    // Counted in bytes, not blocks (see weightOf): a tree of mostly small files keeps many
    // small blocks going at once, in the memory a few full blocks would take.
    const preparing = new Semaphore(this.#inProgress * BlockSize)
    const running = new Set<Promise<void>>()
    // After an abort no new block starts; the pass rejects once the in-flight ones settle.
    for (const row of todo) {
      const release = await preparing.acquire(weightOf(row.dataSize))
      if (options.signal?.aborted === true) {
        release()
        break
      }
      const upload = (async () => {
        try {
          const { outcome, bytes } = await this.uploadBlock(row, options)
          if (outcome === 'uploaded') report.uploaded++
          if (outcome === 'deduplicated') report.deduplicated++
          if (outcome === 'superseded') report.superseded++
          report.bytesUploaded += bytes
        } catch (err) {
          // An abort of the whole pass is not a block failure: it ends the pass.
          if (options.signal?.aborted !== true)
            failed.push({ blockId: row.id, error: err as Error })
        } finally {
          release()
        }
      })()
      running.add(upload)
      void upload.finally(() => running.delete(upload))
    }
    await Promise.all(running)
    options.signal?.throwIfAborted()
    return { ...report, failed }
  }

  /**
   * Uploads one block: claim it (Local→Syncing), snapshot and hash its bytes, record the hash
   * and the content key on the row (a reference GC honours) before sending anything, make sure
   * the object exists (upload, or a HEAD when another row already has the content), then
   * Syncing→Remote. Every commit is a compare-and-set on the row version, so a write landing
   * at any point makes the upload superseded, never a Remote row with stale bytes.
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
    let claimed: FileBlock | undefined
    let release: (() => void) | undefined
    // Shared memory hashed in place: the buffer stays this upload's until it settles.
    const held = this.#buffers.take(withIndexRoom(row.dataSize > 0 ? row.dataSize : BlockSize))
    try {
      // Claimed first (Local -> Syncing on the listed version), then the bytes are copied
      // with the row version under the block lock: a write in between is seen as a version
      // change. Snapshotting before the claim and claiming on the snapshot's version lost
      // track of a truncate that extends a block (the engine model test found it).
      const owned = await this.#metadata.compareAndPutFileBlock(
        { ...row, state: BlockState.Syncing },
        row.version,
        lazily(options),
      )
      if (owned === undefined) return { outcome: 'skipped', bytes: 0 } // someone else moved it
      claimed = owned
      const snapshot = await this.#local.readBlockSnapshot(address.payloadId, address.blockIdx, {
        ...options,
        into: held,
      })
      if (snapshot.row.version !== owned.version) {
        // Written between the claim and the copy: the writer made the row Dirty.
        this.#counters.superseded++
        return { outcome: 'superseded', bytes: 0 }
      }
      // The snapshot is a private copy (in the leased buffer, or fresh memory from a store that
      // ignores it): it can move to a hashing thread and back. The chunk index comes from the
      // same pass, so it describes exactly the bytes of the content key.
      const { hash, data, chunks, indexedBodyHash } = await hashOwnedBlockWithChunks(
        snapshot.data,
        { ownsBuffer: snapshot.data.buffer === held.buffer },
      )
      const ref = await claimContent(
        this.#metadata,
        this.#uploading,
        owned,
        data,
        hash,
        chunks,
        options,
      )
      if (ref.claimed === undefined) {
        // Written (or claimed by another pass) since the snapshot: a later pass uploads it.
        this.#counters.superseded++
        return { outcome: 'superseded', bytes: 0 }
      }
      claimed = ref.claimed
      // Identical blocks wait until this one is Remote: then they find it as their donor.
      release = ref.release
      const block = { data, room: data.buffer === held.buffer, hash, chunks, indexedBodyHash }
      const uploaded = await this.#sending.run(
        () => ensureObject(this.#remote, ref.key, block, ref.shared, options),
        weightOf(data.length),
      )
      this.#backoff.delete(row.id)
      const done = await this.#metadata.compareAndPutFileBlock(
        { ...claimed, state: BlockState.Remote },
        claimed.version,
        lazily(options),
      )
      if (done === undefined) {
        // Written while uploading: the object stays unreferenced for GC; the new bytes are
        // uploaded by a later pass.
        this.#counters.superseded++
        return { outcome: 'superseded', bytes: 0 }
      }
      if (!uploaded) {
        this.#counters.deduplicated++
        return { outcome: 'deduplicated', bytes: 0 }
      }
      this.#counters.uploaded++
      this.#counters.bytesUploaded += data.length
      log('uploaded %s (%d bytes) as %s', row.id, data.length, ref.key)
      return { outcome: 'uploaded', bytes: data.length }
    } catch (err) {
      if (claimed !== undefined) await revertClaim(this.#metadata, claimed)
      throw this.#fail(row.id, err)
    } finally {
      release?.()
      this.#inFlight.delete(row.id)
      // The remote keeps no reference once writeBlock settled: the buffer can be reused.
      this.#buffers.give(held)
      if (this.#inFlight.size === 0) this.#buffers.releaseAfter(BUFFERS_KEPT_MS)
    }
  }

  /** Lets the idle snapshot buffers go now instead of after a while (the engine closes). */
  releaseBuffers(): void {
    this.#buffers.clear()
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
