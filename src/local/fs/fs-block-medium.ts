/**
 * Block files on disk (the fs local store's medium): pooled handles, positional I/O, and
 * fsync of files and of the directories whose entries changed.
 */
import { randomBytes } from 'node:crypto'
import { copyFile, link, rename, unlink, writeFile } from 'node:fs/promises'
import type { AbortOptions } from '../../core/abort.js'
import { forEachBounded } from '../../core/for-each-bounded.js'
import { formatBlockId, parseBlockId } from '../../core/keys.js'
import { isEnoent } from '../../platform/errno.js'
import { fsyncPath } from '../../platform/fsync.js'
import { syncFileSystem } from '../../platform/syncfs.js'
import type { BlockMedium, RowCopy, SyncOptions } from '../common/state/block-medium.js'
import { FdPool } from './fd-pool.js'
import type { FlushJournal } from './flush-journal.js'
import type { FsLayout } from './layout.js'
import type { PackSet } from './packs.js'
import { PayloadEntries } from './payload-entries.js'
import { RecordCopies, readRecord } from './record-copies.js'
import { formatPlace, parsePlace, type RecordPlace } from './record-place.js'

const SYNC_PARALLEL = 8

/** A {@link BlockMedium} of `.blk` files under a {@link FsLayout}. */
export class FsBlockMedium implements BlockMedium {
  readonly backend = 'fs'
  readonly durable: boolean
  readonly layout: FsLayout
  readonly #pool: FdPool
  readonly #entries: PayloadEntries
  /** The flush journal, attached once recovery has replayed the previous one. */
  journal: FlushJournal | undefined
  /** False once syncfs turned out to be unavailable here (then every file is fsynced). */
  #syncfs = true
  /** Blocks whose copy is a journal record (docs/design-packs.md). */
  readonly #records = new RecordCopies()

  readonly #recordCopies: boolean

  constructor(layout: FsLayout, fsync: boolean, poolSize?: number, recordCopies = false) {
    this.layout = layout
    this.durable = fsync
    this.#pool = new FdPool(poolSize)
    this.#entries = new PayloadEntries(layout)
    this.#recordCopies = recordCopies
  }

  /** Marks a payload's files as present, with its ID file if it needs one (recovery found them). */
  adoptPayload(payloadId: string): void {
    this.#entries.adopt(payloadId)
  }

  localPath(payloadId: string, blockIdx: number): string {
    const place = this.#records.get(formatBlockId(payloadId, blockIdx))
    return place === undefined ? this.layout.blockPath(payloadId, blockIdx) : formatPlace(place)
  }

  /**
   * Makes the journal record at `place` (appended `asCopies`) the block's copy, in place of a
   * file: the flush that appended it commits the row naming it. A file the block had stays
   * until that row names the record: if the commit fails, the row still names the file, and
   * its bytes must still be there after the checkpoint that seals the record's generation.
   */
  async takeRecord(
    payloadId: string,
    blockIdx: number,
    place: string,
    hadCopy: boolean,
  ): Promise<void> {
    const at = parsePlace(place)
    if (at === undefined) throw new Error(`not a record's place: ${place}`)
    this.#records.take(formatBlockId(payloadId, blockIdx), at, hadCopy)
    // Reads go to the record from now on.
    if (hadCopy) await this.#pool.close(this.layout.blockPath(payloadId, blockIdx))
  }

  hasRecord(payloadId: string, blockIdx: number): boolean {
    return this.#records.has(formatBlockId(payloadId, blockIdx))
  }

  /** The blocks whose copy is a record of generation `gen`, with that record's place. */
  servedBy(gen: number): { payloadId: string; blockIdx: number; place: string }[] {
    return this.#records.servedBy(gen)
  }

  /** Records are blocks' copies when the journal keeps packs. */
  get recordCopies(): boolean {
    return this.#recordCopies && this.journal?.packs !== undefined
  }

  /** Forgets a block's record copy (it moved to a file or went); the row gives the place back. */
  #dropRecord(payloadId: string, blockIdx: number): RecordPlace | undefined {
    return this.#records.drop(formatBlockId(payloadId, blockIdx))
  }

  /**
   * Before a change to a block whose copy is a record: the record's bytes written into the
   * block's file, which is its copy from then on (copy-on-write: a pack is never written).
   */
  async #toFile(payloadId: string, blockIdx: number): Promise<void> {
    const place = this.#records.get(formatBlockId(payloadId, blockIdx))
    if (place === undefined) return
    const data = await this.#packs().read(place)
    await this.#entries.creating(payloadId)
    await this.#pool.writeFull(this.layout.blockPath(payloadId, blockIdx), data, 0, true)
    this.#dropRecord(payloadId, blockIdx)
  }

  #packs(): PackSet {
    const packs = this.journal?.packs
    if (packs === undefined) throw new Error('this store keeps no packs')
    return packs
  }

  async rowMoved(id: string, from: RowCopy | undefined, to: RowCopy | undefined): Promise<void> {
    const packs = this.journal?.packs
    if (packs === undefined) return
    const was = parsePlace(from?.localPath ?? '')
    const now = parsePlace(to?.localPath ?? '')
    if (now !== undefined) packs.adopt(now, to?.dataSize ?? 0)
    if (was !== undefined) packs.release(was, from?.dataSize ?? 0)
    const at = parseBlockId(id)
    if (to === undefined || at === undefined || !this.#records.named(id, to.localPath)) return
    // Even a commit not yet durable may let the file go: until the checkpoint that syncs the
    // metadata, the record's generation is replayed, and the replay rewrites the file.
    const path = this.layout.blockPath(at.payloadId, at.blockIdx)
    await this.#pool.close(path)
    // A leftover (failed unlink) is a file no row names: the next open's recovery deletes it.
    await unlink(path).catch(() => {})
  }

  overheadBytes(): number {
    return this.journal?.packs?.overheadBytes() ?? 0
  }

  /** Generations of the records this medium serves reads from. */
  servedGenerations(): Set<number> {
    return this.#records.generations()
  }

  async read(
    payloadId: string,
    blockIdx: number,
    dest: Uint8Array,
    destOffset: number,
    blockOffset: number,
    length: number,
  ): Promise<number> {
    const place = this.#records.get(formatBlockId(payloadId, blockIdx))
    if (place !== undefined) {
      return readRecord(this.#packs(), place, dest, destOffset, blockOffset, length)
    }
    try {
      const path = this.layout.blockPath(payloadId, blockIdx)
      return await this.#pool.readFull(path, dest, destOffset, blockOffset, length)
    } catch (err) {
      // Deleted behind our back: report no bytes, the tier decides what that means.
      if (!isEnoent(err)) throw err
      dest.fill(0, destOffset, destOffset + length)
      return 0
    }
  }

  async write(
    payloadId: string,
    blockIdx: number,
    data: Uint8Array,
    offset: number,
  ): Promise<void> {
    await this.#toFile(payloadId, blockIdx)
    await this.#entries.creating(payloadId)
    await this.#pool.writeFull(this.layout.blockPath(payloadId, blockIdx), data, offset)
  }

  async create(payloadId: string, blockIdx: number, data: Uint8Array): Promise<void> {
    this.#dropRecord(payloadId, blockIdx)
    await this.#entries.creating(payloadId)
    await this.#pool.writeFull(this.layout.blockPath(payloadId, blockIdx), data, 0, true)
  }

  /**
   * Replaces a block file atomically: a temporary file renamed over it. Writing in place and
   * then truncating would leave, after a kill between the two, the new bytes followed by the
   * old tail, which recovery would take for block content (stale bytes, wrong size).
   */
  async replace(payloadId: string, blockIdx: number, data: Uint8Array): Promise<void> {
    await this.#entries.creating(payloadId)
    const path = this.layout.blockPath(payloadId, blockIdx)
    // Not a .blk name: recovery deletes a leftover of a kill before the rename.
    const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`
    try {
      await writeFile(tmp, data)
      // Pooled handles point at the inode being replaced.
      await this.#pool.close(path)
      await rename(tmp, path)
      this.#dropRecord(payloadId, blockIdx)
    } catch (err) {
      await unlink(tmp).catch(() => {})
      throw err
    }
  }

  async stage(
    payloadId: string,
    blockIdx: number,
    data: Uint8Array,
    options?: AbortOptions,
  ): Promise<string> {
    await this.#entries.ensureId(payloadId)
    const path = this.layout.stagedPath(payloadId, blockIdx)
    try {
      await writeFile(path, data, options?.signal ? { signal: options.signal } : {})
      await fsyncPath(path)
      // The entry too: the Dirty row that names it is the only record of the block's bytes.
      this.#entries.changed(payloadId)
      await this.sync(payloadId, [], options)
    } catch (err) {
      await unlink(path).catch(() => {})
      throw err
    }
    return path
  }

  async commitStaged(payloadId: string, blockIdx: number): Promise<void> {
    const path = this.layout.blockPath(payloadId, blockIdx)
    // Pooled handles point at the inode being replaced.
    await this.#pool.close(path)
    await rename(this.layout.stagedPath(payloadId, blockIdx), path)
    this.#dropRecord(payloadId, blockIdx)
    this.#entries.changed(payloadId)
  }

  async discardStaged(payloadId: string, blockIdx: number): Promise<void> {
    try {
      await unlink(this.layout.stagedPath(payloadId, blockIdx))
    } catch (err) {
      if (!isEnoent(err)) throw err
    }
  }

  async linkRenamed(
    src: string,
    dst: string,
    blockIdx: number,
    options?: AbortOptions,
  ): Promise<string> {
    options?.signal?.throwIfAborted()
    // A record needs no link: the row the rename moves names it, and the target takes it.
    const place = this.#records.get(formatBlockId(src, blockIdx))
    if (place !== undefined) return formatPlace(place)
    await this.#entries.creating(dst)
    const from = this.layout.blockPath(src, blockIdx)
    const to = this.layout.renamedPath(dst, blockIdx, randomBytes(6).toString('hex'))
    try {
      // Same store directory, so one file system: a link shares the bytes, nothing is copied.
      await link(from, to)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'EMLINK') throw err
      await copyFile(from, to)
      if (this.durable) await fsyncPath(to)
    }
    return to
  }

  async commitRenamed(payloadId: string, blockIdx: number, linked: string): Promise<void> {
    const place = parsePlace(linked)
    if (place !== undefined) {
      this.#records.take(formatBlockId(payloadId, blockIdx), place, false)
      return
    }
    const path = this.layout.blockPath(payloadId, blockIdx)
    // Pooled handles point at the inode being replaced.
    await this.#pool.close(path)
    await rename(linked, path)
    // The file is the copy now, not a record the block had before.
    this.#dropRecord(payloadId, blockIdx)
    this.#entries.changed(payloadId)
  }

  async discardRenamed(_payloadId: string, _blockIdx: number, linked: string): Promise<void> {
    if (parsePlace(linked) !== undefined) return
    try {
      await unlink(linked)
    } catch (err) {
      if (!isEnoent(err)) throw err
    }
  }

  async truncate(payloadId: string, blockIdx: number, size: number): Promise<void> {
    await this.#toFile(payloadId, blockIdx)
    const path = this.layout.blockPath(payloadId, blockIdx)
    await this.#pool.use(path, false, (fh) => fh.truncate(size))
  }

  async remove(payloadId: string, blockIdx: number): Promise<void> {
    this.#dropRecord(payloadId, blockIdx)
    const path = this.layout.blockPath(payloadId, blockIdx)
    await this.#pool.close(path)
    try {
      await unlink(path)
    } catch (err) {
      if (!isEnoent(err)) throw err
    }
  }

  async sync(
    payloadId: string,
    blockIdxs: readonly number[],
    options?: SyncOptions,
  ): Promise<void> {
    if (!this.durable) return
    // A record is durable already (its batch's fdatasync): only files need one.
    const files = blockIdxs.filter((idx) => !this.hasRecord(payloadId, idx))
    await forEachBounded(
      files,
      SYNC_PARALLEL,
      (idx) =>
        this.#pool
          .use(this.layout.blockPath(payloadId, idx), false, (fh) => fh.sync())
          .catch((err: unknown) => {
            // Removed meanwhile (truncate, eviction): nothing left to make durable.
            if (!isEnoent(err)) throw err
          }),
      options,
    )
    // Left marked when names are skipped: a later sync that wants them still finds them.
    if (options?.names !== false) await this.#entries.sync(payloadId)
  }

  /**
   * Forgets a payload whose block files the tier removed, and removes its ID file. A file the
   * tier never knew of (a cleanup that failed after an error) stays until the next open's
   * recovery walk, which deletes every file no row names: listing the shard for it here would
   * cost every delete and rename a directory scan.
   */
  async removePayload(payloadId: string): Promise<void> {
    const { idFile } = this.layout.place(payloadId)
    this.#entries.forget(payloadId)
    this.layout.forget(payloadId)
    if (idFile === undefined) return
    try {
      await unlink(idFile)
    } catch (err) {
      if (!isEnoent(err)) throw err
    }
  }

  /**
   * Makes the block files of journaled flushes durable so their records can be retired: one
   * syncfs of the store's file system where available (it covers every file and directory
   * entry at once), otherwise an fsync of each file and changed directory.
   */
  async makeDurable(blocks: ReadonlyMap<string, ReadonlySet<number>>): Promise<void> {
    if (!this.durable || blocks.size === 0) return
    if (this.#syncfs && (await syncFileSystem(this.layout.dir))) return
    this.#syncfs = false
    await forEachBounded([...blocks], SYNC_PARALLEL, ([pid, idxs]) => this.sync(pid, [...idxs]))
  }

  async close(): Promise<void> {
    try {
      await this.journal?.close()
    } finally {
      await this.#pool.closeAll()
    }
  }

  async abandon(): Promise<void> {
    await this.journal?.abandon()
    await this.#pool.closeAll()
  }
}
