/**
 * Packs: flush journal generations kept because rows still name records in them. A small
 * block made durable by a journaled flush needs no file of its own: its record holds the
 * block's whole content and its SHA-256, so the record can be the block's copy, read back with
 * one pread (docs/design-packs.md). A generation whose records are all retired is recycled as
 * today; one that a row still names is sealed instead: cut to its last record (a recycled file
 * has stale records past it), made durable, and moved to `packs/<generation>.pack`.
 *
 * This module keeps the count of live records per generation (sealed or not), reads records
 * back and verifies them, seals and deletes packs. Which block names which record is the
 * medium's business; that the rows naming a pack are durable before it goes is the
 * checkpoint's (a pack is only deleted after the metadata sync that follows its last
 * release).
 *
 *   <dir>/packs/<generation>.pack
 */

import type { FileHandle } from 'node:fs/promises'
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { isEnoent } from '../../platform/errno.js'
import { fsyncPath } from '../../platform/fsync.js'
import { decodeRecordAt } from './journal-format.js'
import { formatPlace, PackReadError, type RecordPlace } from './record-place.js'

const PACK_EXT = '.pack'
/**
 * Sealed packs whose read handle stays open (least recently read closed first): a store of
 * thousands of packs must not hold a descriptor for each.
 */
export const OPEN_PACKS = 32
interface Pack {
  /**
   * Records of this generation that committed rows name (a row naming one is a reference,
   * counted when the commit naming it is made and given back when a commit stops naming it).
   */
  live: number
  /** Their bytes (whole records). */
  liveBytes: number
  /** The block bytes they carry (what the tier counts as its blocks' copies). */
  liveData: number
  /** Records appended as copies whose taker has not decided yet (see `hold`). */
  held: number
  /** Bytes of the sealed file (0 until sealed, or unknown for packs found at open). */
  size: number
  /** Reads in progress: a pack is never deleted under one. */
  readers: number
  /** Its path once sealed; unsealed generations are read through the journal's handle. */
  path: string | undefined
  handle: Promise<FileHandle> | undefined
  gone: boolean
  /** Its share of {@link PackSet.overheadBytes}, as last counted. */
  counted: number
}

/** The handle of an unsealed generation, from the flush journal (undefined: not one of its). */
export type GenerationHandle = (gen: number) => FileHandle | undefined

/** See the module comment. */
export class PackSet {
  readonly dir: string
  #unsealed: GenerationHandle = () => undefined
  readonly #packs = new Map<number, Pack>()
  /** Sealed packs with an open handle, least recently read first. */
  readonly #openHandles = new Set<number>()
  /**
   * The sum of every pack's `counted`: kept up to date as packs change, since every disk
   * reservation of the tier reads it (summing over thousands of packs there would not do).
   */
  #overhead = 0

  private constructor(dir: string) {
    this.dir = dir
  }

  /** How to read generations not sealed yet (the flush journal's open files). */
  attach(unsealed: GenerationHandle): void {
    this.#unsealed = unsealed
  }

  /**
   * Opens the pack directory (created when missing) and lists its sealed packs, each with no
   * live record yet: recovery adopts the records rows name, and {@link PackSet.dead} then lists
   * the packs nothing names.
   */
  static async open(dir: string): Promise<PackSet> {
    const created = await mkdir(dir, { recursive: true })
    if (created !== undefined) await fsyncPath(join(dir, '..'))
    const set = new PackSet(dir)
    for (const name of await readdir(dir)) {
      if (!name.endsWith(PACK_EXT)) continue
      const gen = Number(name.slice(0, -PACK_EXT.length))
      if (!Number.isSafeInteger(gen) || gen < 0) continue
      const path = join(dir, name)
      const entry = set.#entry(gen)
      entry.path = path
      entry.size = (await stat(path)).size
      set.#recount(entry)
    }
    return set
  }

  /** True when generation `gen` is a sealed pack on disk. */
  has(gen: number): boolean {
    const p = this.#packs.get(gen)
    return p?.path !== undefined && !p.gone
  }

  /** Generations of the sealed packs. */
  sealed(): number[] {
    return [...this.#packs].filter(([, p]) => p.path !== undefined && !p.gone).map(([g]) => g)
  }

  #entry(gen: number): Pack {
    let p = this.#packs.get(gen)
    if (p === undefined) {
      p = {
        live: 0,
        liveBytes: 0,
        liveData: 0,
        held: 0,
        size: 0,
        readers: 0,
        path: undefined,
        handle: undefined,
        gone: false,
        counted: 0,
      }
      this.#packs.set(gen, p)
    }
    return p
  }

  /**
   * How to learn which generations the medium serves reads from (a record that is a block's
   * copy in memory, whether or not a committed row names it yet or still).
   */
  serving(served: () => ReadonlySet<number>): void {
    this.#served = served
  }

  #served: () => ReadonlySet<number> = () => new Set()

  /** A record appended as a copy: kept until its taker has decided ({@link PackSet.unhold}). */
  hold(place: RecordPlace): void {
    this.#entry(place.gen).held++
  }

  /** The taker of a held record has decided (the medium serves it, or nobody will). */
  unhold(place: RecordPlace): void {
    const p = this.#packs.get(place.gen)
    if (p === undefined || p.held === 0) throw new Error(`${formatPlace(place)} was not held`)
    p.held--
  }

  /** A committed row of `dataBytes` bytes names the record at `place`. */
  adopt(place: RecordPlace, dataBytes: number): void {
    const p = this.#entry(place.gen)
    p.live++
    p.liveBytes += place.length
    p.liveData += dataBytes
    this.#recount(p)
  }

  /** A committed row of `dataBytes` bytes stopped naming the record at `place`. */
  release(place: RecordPlace, dataBytes: number): void {
    const p = this.#packs.get(place.gen)
    if (p === undefined || p.live === 0) throw new Error(`${formatPlace(place)} was not adopted`)
    p.live--
    p.liveBytes -= place.length
    p.liveData -= dataBytes
    this.#recount(p)
    if (p.live === 0 && p.path !== undefined) this.onDead?.()
  }

  /** Called when a sealed pack may have died (see `release`); set by the journal. */
  onDead: (() => void) | undefined

  /**
   * Sealed packs worth compacting: at least `minBytes` on disk and under half of them live
   * (a pack's file is kept whole while any record of it is a block's copy).
   */
  sparse(minBytes: number): number[] {
    return [...this.#packs]
      .filter(([, p]) => p.path !== undefined && !p.gone && p.live > 0)
      .filter(([, p]) => p.size >= minBytes && p.liveBytes * 2 < p.size)
      .map(([g]) => g)
  }

  /**
   * Bytes on disk in sealed packs beyond the block bytes of their live records: dead records
   * (blocks replaced, deleted or evicted since) and every record's header. With the blocks'
   * bytes the tier counts, that is every byte of the packs: they count against the disk cap
   * until compaction or deletion gives them back.
   */
  overheadBytes(): number {
    return this.#overhead
  }

  /** Counts pack `p`'s share of {@link PackSet.overheadBytes} again, after a change to it. */
  #recount(p: Pack): void {
    const share = p.path !== undefined && !p.gone ? Math.max(0, p.size - p.liveData) : 0
    this.#overhead += share - p.counted
    p.counted = share
  }

  /** Sealed packs holding dead bytes beside live records, the most dead bytes first. */
  wasteful(): number[] {
    return [...this.#packs]
      .filter(([, p]) => p.path !== undefined && !p.gone && p.live > 0 && p.liveBytes < p.size)
      .sort(([, a], [, b]) => b.size - b.liveBytes - (a.size - a.liveBytes))
      .map(([g]) => g)
  }

  /**
   * True while generation `gen` must be kept: a committed row names one of its records, the
   * medium serves one, or one appended as a copy is still held.
   */
  isLive(gen: number): boolean {
    const p = this.#packs.get(gen)
    return (p !== undefined && (p.live > 0 || p.held > 0)) || this.#served().has(gen)
  }

  /**
   * The block bytes of the record at `place`, checked against the record's digest.
   * @throws {PackReadError} when the record is missing, cut short or does not verify.
   */
  async read(place: RecordPlace): Promise<Uint8Array> {
    const p = this.#entry(place.gen)
    if (p.gone) throw new PackReadError(place, 'its pack was deleted')
    p.readers++
    try {
      const fh = await this.#handle(place.gen, p)
      const bytes = Buffer.allocUnsafe(place.length)
      const { bytesRead } = await fh.read(bytes, 0, place.length, place.offset)
      const record = decodeRecordAt(place.gen, bytes.subarray(0, bytesRead))
      if (record === undefined) throw new PackReadError(place, 'no valid record there')
      return record.data
    } finally {
      p.readers--
    }
  }

  async #handle(gen: number, p: Pack): Promise<FileHandle> {
    if (p.path === undefined) {
      const fh = this.#unsealed(gen)
      if (fh === undefined)
        throw new PackReadError({ gen, offset: 0, length: 0 }, 'no such generation')
      return fh
    }
    this.#openHandles.delete(gen)
    this.#openHandles.add(gen)
    if (p.handle === undefined) {
      p.handle = open(p.path, 'r')
      this.#closeIdleHandles()
    }
    try {
      return await p.handle
    } catch (err) {
      p.handle = undefined
      throw err
    }
  }

  /**
   * Seals generation `gen`, written through `fh` up to `end`: its stale tail cut, made durable,
   * moved from `from` into the pack directory, both directories synced. The caller has waited
   * for the generation's last batch and no longer writes to it.
   */
  async seal(gen: number, fh: FileHandle, end: number, from: string): Promise<void> {
    await fh.truncate(end)
    await fh.sync()
    const path = join(this.dir, `${gen}${PACK_EXT}`)
    await rename(from, path)
    await fsyncPath(this.dir)
    await fsyncPath(join(from, '..'))
    const p = this.#entry(gen)
    p.path = path
    p.size = end
    this.#recount(p)
    // The same handle reads the pack: a read started through the journal is never cut off.
    p.handle = Promise.resolve(fh)
    this.#openHandles.add(gen)
    this.#closeIdleHandles()
  }

  /** Closes the least recently read packs' handles past {@link OPEN_PACKS}, unless in use. */
  #closeIdleHandles(): void {
    let over = this.#openHandles.size - OPEN_PACKS
    for (const gen of this.#openHandles) {
      if (over <= 0) break
      const p = this.#packs.get(gen)
      if (p !== undefined && p.readers > 0) continue
      this.#openHandles.delete(gen)
      over--
      const handle = p?.handle
      if (p !== undefined) p.handle = undefined
      void handle?.then((fh) => fh.close()).catch(() => {})
    }
  }

  /** Sealed packs with no live record and no read in progress. */
  dead(): number[] {
    return [...this.#packs]
      .filter(([g, p]) => p.path !== undefined && !p.gone && p.readers === 0 && !this.isLive(g))
      .map(([g]) => g)
  }

  /**
   * Deletes the packs of `gens` that are still dead (a block may have been given one of their
   * records since they were listed: those stay). Call only once the metadata that stopped
   * naming them is durable.
   */
  async remove(gens: readonly number[]): Promise<void> {
    let removed = false
    for (const gen of gens) {
      const p = this.#packs.get(gen)
      if (p?.path === undefined || p.gone || p.readers > 0 || this.isLive(gen)) continue
      p.gone = true
      this.#recount(p)
      this.#openHandles.delete(gen)
      const handle = p.handle
      p.handle = undefined
      await (await handle?.catch(() => undefined))?.close()
      await unlink(p.path).catch((err: unknown) => {
        if (!isEnoent(err)) throw err
      })
      this.#packs.delete(gen)
      removed = true
    }
    // A directory removed meanwhile has nothing left to protect.
    if (removed) {
      await fsyncPath(this.dir).catch((err: unknown) => {
        if (!isEnoent(err)) throw err
      })
    }
  }

  /** Closes the packs' handles. */
  async close(): Promise<void> {
    this.#openHandles.clear()
    for (const p of this.#packs.values()) {
      const handle = p.handle
      p.handle = undefined
      await (await handle?.catch(() => undefined))?.close()
    }
  }
}
