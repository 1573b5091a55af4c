/**
 * On-disk layout of the fs local store. Every file of a payload lives directly in one of 256
 * shard directories, named by a stem that identifies the payload, so a new payload costs no
 * directory and, for IDs of up to 150 UTF-8 bytes, no file beside its blocks: creating inodes
 * (a directory, an ID file and the block, three per small payload in format 2) was 47 % of the
 * CPU of a 4 KiB write + flush, most of it ext4 searching its inode tables.
 *
 *   <dir>/FORMAT                                {"format":"ditto-local","version":5}
 *   <dir>/journal/<generation>.log              the flush journal (flush-journal.ts)
 *   <dir>/packs/<generation>.pack               journal generations whose records are
 *                                               blocks' copies (packs.ts)
 *   <dir>/blocks/<s>/<stem>.<blockIdx>.blk      raw block bytes [0, dataSize)
 *   <dir>/blocks/<s>/<stem>.<blockIdx>.next     the new bytes of a whole-block overwrite, staged
 *                                               while its Dirty row is committed (recovery.ts)
 *   <dir>/blocks/<s>/<stem>.<blockIdx>.<token>.ren  a block of another payload renamed onto
 *                                               this one, linked before the rename's commit
 *   <dir>/blocks/<s>/<stem>.id                  the payload ID, for hashed stems only
 *
 * `s` is the first two hex digits of the SHA-256 of the payload ID (an even spread whatever the
 * IDs look like). The stem is the base64url of the ID's UTF-8 bytes when that is at most 150
 * bytes: reversible, so recovery reads the ID from the name, and free of `/`, `.` and every
 * other character a path could misread. A longer ID gets `~` and its SHA-256 in hex, and an
 * `id` file holding it. Payload IDs never appear in paths as they are.
 */
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { BlockStoreError } from '../../core/errors.js'
import { payloadIdProblem } from '../../core/payload-id.js'
import { isEnoent } from '../../platform/errno.js'
import { fsyncPath } from '../../platform/fsync.js'

/**
 * Version of the layout written by this code. 2 added the flush journal: code that knows only
 * version 1 would ignore it and lose the flushes it holds. 3 moved every payload's files out of
 * their own directory into the shard's: older code would not find them. 4 added reset records
 * to the journal (journal-format.ts): older code would stop reading the journal at one and
 * lose every record after it. 5 lets a row name a journal record kept in a pack as its block's
 * copy (`pack:<generation>:<offset>:<length>`): older code would find no file for the block.
 */
export const LOCAL_FORMAT_VERSION = 5
const FORMAT_NAME = 'ditto-local'

/** Name of the file holding the ID of a payload directory of format 1 or 2. */
export const LEGACY_ID_FILE = 'id'
/** Suffix (after the stem's dot) of the file holding the ID of a hashed stem. */
export const ID_SUFFIX = 'id'
/** Extension of block files. */
export const BLOCK_EXT = '.blk'
/** Extension of staged block files (the next content of a block, see `stagedPath`). */
export const STAGED_EXT = '.next'
/** Extension of a block linked in by a payload rename, before its commit (see `renamedPath`). */
export const RENAMED_EXT = '.ren'

/** Longest ID (UTF-8 bytes) spelled out in its stem; 150 bytes are 200 base64url characters. */
const MAX_SPELLED_BYTES = 150
/** First character of a hashed stem; never produced by base64url. */
const HASHED_MARK = '~'
const SHARDS = 256

/** Where one payload's files are. */
export interface PayloadPlace {
  /** The shard directory holding them. */
  readonly dir: string
  /** Name prefix of every file of the payload: `<stem>.`. */
  readonly prefix: string
  /** The file naming the payload (hashed stems only). */
  readonly idFile: string | undefined
}

/** Paths of one store directory. */
export class FsLayout {
  readonly dir: string
  readonly blocksDir: string
  readonly formatFile: string
  /** The flush journal's generations (flush-journal.ts). */
  readonly journalDir: string
  /** Sealed journal generations whose records are blocks' copies (packs.ts). */
  readonly packsDir: string
  readonly #places = new Map<string, PayloadPlace>()

  constructor(dir: string) {
    this.dir = dir
    this.blocksDir = join(dir, 'blocks')
    this.formatFile = join(dir, 'FORMAT')
    this.journalDir = join(dir, 'journal')
    this.packsDir = join(dir, 'packs')
  }

  /** The hex SHA-256 of a payload ID. */
  static hashId(payloadId: string): string {
    return createHash('sha256').update(payloadId, 'utf8').digest('hex')
  }

  /** The stem of a payload's file names (see the module comment). */
  static stemOf(payloadId: string): string {
    const bytes = Buffer.from(payloadId, 'utf8')
    if (bytes.length <= MAX_SPELLED_BYTES) return bytes.toString('base64url')
    return HASHED_MARK + FsLayout.hashId(payloadId)
  }

  /**
   * The payload ID a spelled-out stem names, or `undefined` when the stem is hashed (its `id`
   * file says) or is not one this code could have written.
   */
  static idOfStem(stem: string): string | undefined {
    if (stem.startsWith(HASHED_MARK) || !/^[A-Za-z0-9_-]+$/.test(stem)) return undefined
    const bytes = Buffer.from(stem, 'base64url')
    const id = bytes.toString('utf8')
    // Only the canonical spelling of a valid ID: anything else was not written by us.
    if (bytes.length > MAX_SPELLED_BYTES || FsLayout.stemOf(id) !== stem) return undefined
    return payloadIdProblem(id) === undefined ? id : undefined
  }

  /** True when `stem` is a hashed stem (an ID too long to spell out; see its `id` file). */
  static isHashedStem(stem: string): boolean {
    return stem.length === 65 && stem.startsWith(HASHED_MARK) && /^[0-9a-f]+$/.test(stem.slice(1))
  }

  /** The shard directory a payload's files belong in. */
  shardDir(payloadId: string): string {
    return join(this.blocksDir, FsLayout.hashId(payloadId).slice(0, 2))
  }

  /** Where a payload's files are. */
  place(payloadId: string): PayloadPlace {
    let place = this.#places.get(payloadId)
    if (place === undefined) {
      const h = FsLayout.hashId(payloadId)
      const dir = join(this.blocksDir, h.slice(0, 2))
      const stem = FsLayout.stemOf(payloadId)
      const idFile = stem.startsWith(HASHED_MARK) ? join(dir, `${stem}.${ID_SUFFIX}`) : undefined
      place = { dir, prefix: join(dir, `${stem}.`), idFile }
      this.#places.set(payloadId, place)
    }
    return place
  }

  /** A block's file. */
  blockPath(payloadId: string, blockIdx: number): string {
    return `${this.place(payloadId).prefix}${blockIdx}${BLOCK_EXT}`
  }

  /** Where the next content of a block is staged before its row turns Dirty. */
  stagedPath(payloadId: string, blockIdx: number): string {
    return `${this.place(payloadId).prefix}${blockIdx}${STAGED_EXT}`
  }

  /**
   * Where a block renamed onto this payload waits, linked, for the rename's commit:
   * `<stem>.<blockIdx>.<token>.ren`, with a token unique to the rename.
   */
  renamedPath(payloadId: string, blockIdx: number, token: string): string {
    return `${this.place(payloadId).prefix}${blockIdx}.${token}${RENAMED_EXT}`
  }

  /**
   * Writes the ID file of a payload whose stem is hashed (unsynced: callers sync it with the
   * blocks it names); returns its path, or `undefined` when the stem spells the ID out.
   */
  async writeIdFile(payloadId: string): Promise<string | undefined> {
    const { idFile } = this.place(payloadId)
    if (idFile !== undefined) await writeFile(idFile, payloadId, 'utf8')
    return idFile
  }

  /** Forgets a cached payload place (after delete). */
  forget(payloadId: string): void {
    this.#places.delete(payloadId)
  }

  /** Every shard directory, created by `prepare`. */
  shardDirs(): string[] {
    return Array.from({ length: SHARDS }, (_, i) =>
      join(this.blocksDir, i.toString(16).padStart(2, '0')),
    )
  }

  /**
   * Creates the directory tree and format file, or checks an existing format file. An older
   * directory is marked as this version at once: its payload directories are moved into the
   * new layout by recovery (migrate-layout.ts), which must never meet code that expects them.
   * @throws {BlockStoreError} BS_UNSUPPORTED_FORMAT for a newer or unreadable format.
   */
  async prepare(): Promise<void> {
    await mkdir(this.blocksDir, { recursive: true })
    await this.#checkFormat()
    const present = new Set(await readdir(this.blocksDir))
    let created = false
    for (const shard of this.shardDirs()) {
      if (present.has(basename(shard))) continue
      await mkdir(shard, { recursive: true })
      created = true
    }
    if (created) {
      await fsyncPath(this.blocksDir)
      await fsyncPath(this.dir)
    }
  }

  async #checkFormat(): Promise<void> {
    let text: string
    try {
      text = await readFile(this.formatFile, 'utf8')
    } catch (err) {
      if (!isEnoent(err)) throw err
      const body = JSON.stringify({ format: FORMAT_NAME, version: LOCAL_FORMAT_VERSION })
      await writeFile(this.formatFile, `${body}\n`, { flag: 'wx' }).catch((e: unknown) => {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      })
      return
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (cause) {
      throw new BlockStoreError('BS_UNSUPPORTED_FORMAT', `${this.formatFile} is not JSON`, {
        cause,
      })
    }
    const { format, version } = (parsed ?? {}) as { format?: unknown; version?: unknown }
    if (format !== FORMAT_NAME || typeof version !== 'number' || !Number.isInteger(version)) {
      throw new BlockStoreError('BS_UNSUPPORTED_FORMAT', `${this.formatFile}: unknown format`)
    }
    if (version > LOCAL_FORMAT_VERSION) {
      throw new BlockStoreError(
        'BS_UNSUPPORTED_FORMAT',
        `local store format ${version} is newer than supported ${LOCAL_FORMAT_VERSION}`,
      )
    }
    if (version < LOCAL_FORMAT_VERSION) await this.#upgrade()
  }

  /** Marks an older directory as this version, durably, so older code refuses it from then on. */
  async #upgrade(): Promise<void> {
    const body = JSON.stringify({ format: FORMAT_NAME, version: LOCAL_FORMAT_VERSION })
    const tmp = `${this.formatFile}.tmp`
    await writeFile(tmp, `${body}\n`)
    await fsyncPath(tmp)
    await rename(tmp, this.formatFile)
    await fsyncPath(this.dir)
  }
}
