/**
 * On-disk layout of the fs local store. Payload IDs never appear in paths: each payload's
 * directory is named by the SHA-256 of its ID (bounded length, no `..`, no absolute or
 * unicode surprises) and holds an `id` file with the real ID for recovery.
 *
 *   <dir>/FORMAT                              {"format":"ditto-local","version":2}
 *   <dir>/journal/<generation>.log            the flush journal (flush-journal.ts)
 *   <dir>/blocks/<h[0:2]>/<h>/id              the payload ID (UTF-8), h = sha256(id) hex
 *   <dir>/blocks/<h[0:2]>/<h>/<blockIdx>.blk  raw block bytes [0, dataSize)
 *   <dir>/blocks/<h[0:2]>/<h>/<blockIdx>.next the new bytes of a whole-block overwrite, staged
 *                                             while its Dirty row is committed (recovery.ts)
 *   <dir>/blocks/<h[0:2]>/<h>/<blockIdx>.<token>.ren  a block of another payload renamed onto
 *                                             this one, linked before the rename's commit
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BlockStoreError } from '../../core/errors.js'
import { fsyncPath } from '../../platform/fsync.js'

/**
 * Version of the layout written by this code. 2 added the flush journal: code that knows only
 * version 1 would ignore it and lose the flushes it holds, so it must refuse the directory.
 */
export const LOCAL_FORMAT_VERSION = 2
const FORMAT_NAME = 'ditto-local'

/** Name of the file holding a payload directory's ID. */
export const ID_FILE = 'id'
/** Extension of block files. */
export const BLOCK_EXT = '.blk'
/** Extension of staged block files (the next content of a block, see `stagedPath`). */
export const STAGED_EXT = '.next'

/** Extension of a block linked in by a payload rename, before its commit (see `renamedPath`). */
export const RENAMED_EXT = '.ren'

/** Paths of one store directory. */
export class FsLayout {
  readonly dir: string
  readonly blocksDir: string
  readonly formatFile: string
  /** The flush journal's generations (flush-journal.ts). */
  readonly journalDir: string
  readonly #payloadDirs = new Map<string, string>()

  constructor(dir: string) {
    this.dir = dir
    this.blocksDir = join(dir, 'blocks')
    this.formatFile = join(dir, 'FORMAT')
    this.journalDir = join(dir, 'journal')
  }

  /** Directory name of a payload: the hex SHA-256 of its ID. */
  static hashId(payloadId: string): string {
    return createHash('sha256').update(payloadId, 'utf8').digest('hex')
  }

  /** The payload's directory. */
  payloadDir(payloadId: string): string {
    let dir = this.#payloadDirs.get(payloadId)
    if (dir === undefined) {
      const h = FsLayout.hashId(payloadId)
      dir = join(this.blocksDir, h.slice(0, 2), h)
      this.#payloadDirs.set(payloadId, dir)
    }
    return dir
  }

  /** A block's file. */
  blockPath(payloadId: string, blockIdx: number): string {
    return join(this.payloadDir(payloadId), `${blockIdx}${BLOCK_EXT}`)
  }

  /** Where the next content of a block is staged before its row turns Dirty. */
  stagedPath(payloadId: string, blockIdx: number): string {
    return join(this.payloadDir(payloadId), `${blockIdx}${STAGED_EXT}`)
  }

  /**
   * Where a block renamed onto this payload waits, linked, for the rename's commit:
   * `<blockIdx>.<token>.ren`, with a token unique to the rename.
   */
  renamedPath(payloadId: string, blockIdx: number, token: string): string {
    return join(this.payloadDir(payloadId), `${blockIdx}.${token}${RENAMED_EXT}`)
  }

  /** Forgets a cached payload directory (after delete). */
  forget(payloadId: string): void {
    this.#payloadDirs.delete(payloadId)
  }

  /**
   * Creates the directory tree and format file, or checks an existing format file.
   * @throws {BlockStoreError} BS_UNSUPPORTED_FORMAT for a newer or unreadable format.
   */
  async prepare(): Promise<void> {
    await mkdir(this.blocksDir, { recursive: true })
    let text: string
    try {
      text = await readFile(this.formatFile, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
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

  /**
   * Marks an older directory as this version (its files need no change), durably and before
   * any journal exists, so older code refuses it from then on.
   */
  async #upgrade(): Promise<void> {
    const body = JSON.stringify({ format: FORMAT_NAME, version: LOCAL_FORMAT_VERSION })
    const tmp = `${this.formatFile}.tmp`
    await writeFile(tmp, `${body}\n`)
    await fsyncPath(tmp)
    await rename(tmp, this.formatFile)
    await fsyncPath(this.dir)
  }
}
