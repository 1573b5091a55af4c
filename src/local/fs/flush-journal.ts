/**
 * The flush journal of the fs local store: an append-only log that makes small flushes durable
 * with one shared fdatasync instead of an fsync of every block file and directory they touch.
 *
 * A flush of small blocks writes their files as usual (without fsync), appends each block's
 * whole content as a record here, and waits for the batch's fdatasync before committing its
 * rows. Every flusher that appended while a batch was being written joins the next batch, so
 * concurrent flushes share one sync (group commit). A checkpoint later makes the files
 * themselves durable (one syncfs, or an fsync per file where that is unavailable) and deletes
 * the journal generation it covered. Recovery writes the records of a surviving generation back
 * into the block files (recover-journal.ts).
 *
 * A record is only authoritative until its block's state moves on by another path, so every
 * operation that durably changes a block other than by a journaled flush (a flush through the
 * files, truncate, delete, rename, replace, eviction, installing remote bytes) first calls
 * {@link FlushJournal.barrier}: once it returns no record of that payload is left to replay.
 *
 * A retired generation's file is kept as `spare` and renamed into the next generation instead
 * of being deleted (as PostgreSQL recycles WAL segments): records then overwrite blocks the
 * file system already allocated, and an fdatasync has no size or extent change to commit with
 * them (measured on this ext4: 0.72 ms against 2.24 ms for an append). Stale records past the
 * new tail carry an older generation, so a reader stops at them.
 *
 *   <dir>/journal/<generation>.log
 *   <dir>/journal/spare              a retired generation's file, kept for reuse
 */

import { type FileHandle, mkdir, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { isEnoent } from '../../platform/errno.js'
import { fsyncPath } from '../../platform/fsync.js'
import type {
  AppendOptions,
  BlockJournal,
  JournaledBlock,
  JournalReceipt,
} from '../common/state/block-medium.js'
import {
  type Generation,
  newGeneration,
  preallocate,
  rest,
  SPARE,
  spareGeneration,
} from './journal-files.js'
import { encodeRecord } from './journal-format.js'
import type { PackSet } from './packs.js'
import { formatPlace, parsePlace, type RecordPlace } from './record-place.js'

export { readJournal, type SurvivingGeneration } from './journal-files.js'

/** Journal bytes after which a checkpoint starts at once. */
const CHECKPOINT_BYTES = 32 * 1024 * 1024
/**
 * How long a record may wait before a checkpoint makes its block file durable. Each checkpoint
 * is a syncfs, which writes back everything dirty on the file system (not only the journaled
 * files) and a new journal generation, so not too often. (It once cost a fork of the whole
 * process per syncfs, about 50 ms of the main thread; src/platform/syncfs.ts now keeps one
 * small shell for it.)
 */
const CHECKPOINT_DELAY_MS = 5000
/** Size of the first generation's file, written once when the store is created. */
const FIRST_FILE_BYTES = 4 * 1024 * 1024

/** Makes the files of the given blocks (payload ID -> block indexes) durable. */
export type MakeDurable = (blocks: ReadonlyMap<string, ReadonlySet<number>>) => Promise<void>

interface Waiter {
  readonly records: readonly JournaledBlock[]
  readonly asCopies: boolean
  readonly resolve: (receipt: JournalReceipt) => void
  readonly reject: (err: unknown) => void
}

/** See the module comment. */
export class FlushJournal implements BlockJournal {
  readonly dir: string
  readonly #makeDurable: MakeDurable
  #current: Generation
  /** Rotated generations whose blocks are not yet known durable, oldest first. */
  readonly #retiring: Generation[] = []
  readonly #queue: Waiter[] = []
  #draining = false
  #checkpoint: Promise<void> = Promise.resolve()
  #timer: NodeJS.Timeout | undefined
  #closed = false
  /** Last background checkpoint failure (the next barrier or checkpoint retries and reports). */
  lastError: unknown
  /**
   * Counters: calls to append, batches written (one fdatasync each), checkpoints run, and
   * receipts found uncovered (flushes that had to sync for themselves, see `JournalReceipt`).
   */
  readonly stats = { appends: 0, batches: 0, checkpoints: 0, uncovered: 0 }
  /** Generations kept as packs because blocks' copies are records in them (when enabled). */
  readonly packs: PackSet | undefined
  /** Called after each checkpoint that kept packs (the store compacts them then). */
  onCheckpoint: (() => void) | undefined

  private constructor(
    dir: string,
    current: Generation,
    makeDurable: MakeDurable,
    packs: PackSet | undefined,
  ) {
    this.dir = dir
    this.#current = current
    this.#makeDurable = makeDurable
    this.packs = packs
    // A pack that dies (its last row moved or deleted) goes at the next checkpoint: start
    // one even when nothing more is appended, so deleted bytes give their space back.
    if (packs !== undefined) packs.onDead = () => this.#arm()
  }

  /** The open handle of generation `gen` while it is written or retiring (not yet sealed). */
  #handleOf(gen: number): FileHandle | undefined {
    if (this.#current.gen === gen) return this.#current.fh
    return this.#retiring.find((g) => g.gen === gen)?.fh
  }

  /** Ends the hold on a record appended `asCopies` (taken as a copy or not). */
  releasePlace(place: string): void {
    const at = parsePlace(place)
    if (at === undefined) throw new Error(`not a record's place: ${place}`)
    this.packs?.unhold(at)
  }

  /**
   * Opens a fresh generation after `lastGen` (recovery has replayed and deleted older ones).
   * With `packs`, generations holding blocks' copies are kept there.
   */
  static async open(
    dir: string,
    lastGen: number,
    makeDurable: MakeDurable,
    packs?: PackSet,
  ): Promise<FlushJournal> {
    const created = await mkdir(dir, { recursive: true })
    if (created !== undefined) {
      await fsyncPath(join(dir, '..'))
      await preallocate(join(dir, SPARE), FIRST_FILE_BYTES)
    }
    // The spare file's stale records must belong to older generations than the one that
    // reuses it, or a reader would take them for its own: a clean close leaves no generation
    // file, so the numbering restarts from what the spare holds, not from 0. Above every
    // pack's too: a place names its record by generation.
    const floor = Math.max(
      lastGen,
      await spareGeneration(join(dir, SPARE)),
      ...(packs?.sealed() ?? []),
    )
    const journal = new FlushJournal(dir, await newGeneration(dir, floor + 1), makeDurable, packs)
    packs?.attach((gen) => journal.#handleOf(gen))
    return journal
  }

  /** True while payload `payloadId` has records a checkpoint has not retired. */
  has(payloadId: string): boolean {
    if (this.#current.blocks.has(payloadId)) return true
    return this.#retiring.some((g) => g.blocks.has(payloadId))
  }

  /**
   * Resolves once every record is durable (one fdatasync shared with every append waiting at
   * the same time).
   */
  append(records: readonly JournaledBlock[], options?: AppendOptions): Promise<JournalReceipt> {
    if (this.#closed) return Promise.reject(new Error('flush journal is closed'))
    if (records.length === 0) return Promise.resolve({ covered: () => true })
    const asCopies = options?.asCopies === true
    if (asCopies && this.packs === undefined) {
      return Promise.reject(new Error('this flush journal keeps no packs'))
    }
    this.stats.appends++
    return new Promise<JournalReceipt>((resolve, reject) => {
      this.#queue.push({ records, asCopies, resolve, reject })
      if (!this.#draining) void this.#drain()
    })
  }

  /** Writes queued records in batches, one fdatasync per batch, until the queue is empty. */
  async #drain(): Promise<void> {
    this.#draining = true
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0)
        const g = this.#current
        const run = this.#writeBatch(g, batch)
        g.writing = run
        await run
        if (g.writing === run) g.writing = undefined
      }
    } finally {
      this.#draining = false
    }
  }

  async #writeBatch(g: Generation, batch: Waiter[]): Promise<void> {
    try {
      const bufs: Buffer[] = []
      const places = new Map<JournaledBlock, RecordPlace>()
      let end = g.offset
      for (const w of batch) {
        for (const r of w.records) {
          const buf = encodeRecord(g.gen, r)
          if (w.asCopies) places.set(r, { gen: g.gen, offset: end, length: buf.length })
          end += buf.length
          bufs.push(buf)
          // Known before it is durable, so a checkpoint that rotates meanwhile retires it too.
          const idxs = g.blocks.get(r.payloadId) ?? new Set<number>()
          idxs.add(r.blockIdx)
          g.blocks.set(r.payloadId, idxs)
        }
      }
      let at = g.offset
      let left = bufs
      while (left.length > 0) {
        const { bytesWritten } = await g.fh.writev(left, at)
        at += bytesWritten
        left = rest(left, bytesWritten)
      }
      g.offset = at
      await g.fh.datasync()
      // Held before any waiter resumes: a checkpoint deciding meanwhile keeps the generation.
      for (const place of places.values()) this.packs?.hold(place)
      this.stats.batches++
      const receipt: JournalReceipt = {
        covered: () => {
          if (g.syncing) this.stats.uncovered++
          return !g.syncing
        },
        placeOf: (record) => {
          const place = places.get(record)
          return place === undefined ? undefined : formatPlace(place)
        },
      }
      for (const w of batch) w.resolve(receipt)
    } catch (err) {
      // What was written may or may not survive; either way no caller was told it did.
      for (const w of batch) w.reject(err)
      return
    }
    this.#schedule(g)
  }

  #schedule(g: Generation): void {
    if (g.offset >= CHECKPOINT_BYTES) {
      void this.#background()
      return
    }
    this.#arm()
  }

  /** Starts the delayed background checkpoint unless one is armed already. */
  #arm(): void {
    if (this.#timer !== undefined || this.#closed) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.#background()
    }, CHECKPOINT_DELAY_MS)
    this.#timer.unref()
  }

  async #background(): Promise<void> {
    try {
      await this.checkpoint()
      this.lastError = undefined
    } catch (err) {
      this.lastError = err
      // Retried later; until then the records keep the blocks safe.
      this.#arm()
    }
  }

  /**
   * Retires every record appended before the call: their block files are made durable and
   * their generations deleted. Checkpoints run one at a time.
   */
  checkpoint(): Promise<void> {
    return this.#chain(false)
  }

  #chain(final: boolean): Promise<void> {
    const run = this.#checkpoint.catch(() => {}).then(() => this.#retire(final))
    this.#checkpoint = run
    return run
  }

  /** Retires the records of `payloadId` (and every other) when it has any. */
  async barrier(payloadId: string): Promise<void> {
    if (this.has(payloadId)) await this.checkpoint()
  }

  /** `final`: the store is closing, so the current generation is retired with no successor. */
  async #retire(final: boolean): Promise<void> {
    if (this.#closed) throw new Error('flush journal is closed')
    const old = this.#current
    if (final) this.#retiring.push(old)
    else if (old.blocks.size > 0 || old.offset > 0) {
      this.#current = await newGeneration(this.dir, old.gen + 1)
      this.#retiring.push(old)
    }
    if (this.#retiring.length === 0) {
      // Nothing appended since the last one, but packs may have died since (their last rows
      // moved or deleted, or none named them at open): a metadata sync lets them go.
      const dead = this.packs?.dead() ?? []
      if (dead.length === 0) return
      await this.#makeDurable(new Map())
      await this.packs?.remove(dead)
      return
    }
    this.stats.checkpoints++
    const gens = [...this.#retiring]
    // A batch taken before the rotation is still going to the old file.
    for (const g of gens) await g.writing?.catch(() => {})
    const blocks = new Map<string, Set<number>>()
    for (const g of gens) {
      for (const [pid, idxs] of g.blocks) {
        const into = blocks.get(pid) ?? new Set<number>()
        for (const i of idxs) into.add(i)
        blocks.set(pid, into)
      }
    }
    // From here on, a flusher whose records are in these generations has to make what it does
    // next durable itself: the syncs below may run before it.
    for (const g of gens) g.syncing = true
    // Packs nothing named before the metadata sync below: once it is done, no durable row
    // names them either.
    const dead = this.packs?.dead() ?? []
    await this.#makeDurable(blocks)
    for (const g of gens) {
      if (this.packs?.isLive(g.gen) === true) {
        // Blocks' copies are records in it: kept as a pack, its handle with it.
        await this.packs.seal(g.gen, g.fh, g.offset, g.path)
      } else {
        await g.fh.close().catch(() => {})
        // Kept for the next generation (replacing an older spare); its records become stale.
        await rename(g.path, join(this.dir, SPARE)).catch((err: unknown) => {
          if (!isEnoent(err)) throw err
        })
      }
      this.#retiring.splice(this.#retiring.indexOf(g), 1)
    }
    await this.packs?.remove(dead)
    if (this.packs !== undefined && !final) this.onCheckpoint?.()
    // The deletions must be durable before anything relies on the records being gone (a
    // directory removed meanwhile has nothing left to protect).
    await fsyncPath(this.dir).catch((err: unknown) => {
      if (!isEnoent(err)) throw err
    })
  }

  /**
   * Makes every journaled block durable and retires every generation, opening no new one (a
   * clean close leaves only the spare file), then releases the files.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    await this.#chain(true)
    await this.abandon()
  }

  /** Releases the files without a checkpoint (a process kill, for crash tests). */
  async abandon(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    for (const w of this.#queue.splice(0)) w.reject(new Error('flush journal is closed'))
    for (const g of [this.#current, ...this.#retiring]) await g.fh.close().catch(() => {})
    await this.packs?.close()
  }
}
