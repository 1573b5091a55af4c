/**
 * The directory entries behind a payload's block files: which payloads have their ID file,
 * and which entries (shard directories, new ID files) the payload's next sync must make
 * durable. A block file's bytes are synced by its handle; its name is durable only once the
 * directory holding it is, and a payload whose ID is too long for its file names is readable
 * after a crash only if its ID file is.
 */
import { isEnoent } from '../../platform/errno.js'
import { fsyncPath } from '../../platform/fsync.js'
import type { FsLayout } from './layout.js'

/** Per-payload entry bookkeeping of the fs medium (see the module comment). */
export class PayloadEntries {
  readonly #layout: FsLayout
  /** Payloads whose ID file, when they need one, exists. */
  readonly #ready = new Set<string>()
  /**
   * Paths to fsync with the payload's next sync, by payload: shard directories whose entries
   * changed and new ID files (synced with the blocks they describe, not one by one).
   */
  readonly #dirty = new Map<string, Set<string>>()

  constructor(layout: FsLayout) {
    this.#layout = layout
  }

  /** Marks a payload's ID file, if it needs one, as present (recovery found it). */
  adopt(payloadId: string): void {
    this.#ready.add(payloadId)
  }

  /**
   * Before a payload's first file: writes its ID file when its ID is too long to spell out in
   * file names; every other payload needs nothing, the shard directories always exist.
   */
  async ensureId(payloadId: string): Promise<void> {
    if (this.#ready.has(payloadId)) return
    const idFile = await this.#layout.writeIdFile(payloadId)
    // Synced with the blocks it names, not on its own.
    if (idFile !== undefined) this.#paths(payloadId).add(idFile)
    this.#ready.add(payloadId)
  }

  /**
   * Before a file of the payload is created: its ID file exists ({@link ensureId}) and its
   * directory's entry is marked for the next sync ({@link changed}).
   */
  async creating(payloadId: string): Promise<void> {
    await this.ensureId(payloadId)
    this.changed(payloadId)
  }

  /** A file of the payload may be created or renamed: its directory needs the next sync. */
  changed(payloadId: string): void {
    this.#paths(payloadId).add(this.#layout.place(payloadId).dir)
  }

  /**
   * Makes the payload's changed entries durable. On failure they stay marked, so a later sync
   * that wants them still finds them.
   */
  async sync(payloadId: string): Promise<void> {
    const paths = this.#dirty.get(payloadId)
    if (paths === undefined) return
    this.#dirty.delete(payloadId)
    try {
      for (const path of paths)
        await fsyncPath(path).catch((err: unknown) => {
          if (!isEnoent(err)) throw err
        })
    } catch (err) {
      const again = this.#paths(payloadId)
      for (const path of paths) again.add(path)
      throw err
    }
  }

  /** Forgets a payload whose files went. */
  forget(payloadId: string): void {
    this.#ready.delete(payloadId)
    this.#dirty.delete(payloadId)
  }

  #paths(payloadId: string): Set<string> {
    let paths = this.#dirty.get(payloadId)
    if (paths === undefined) {
      paths = new Set<string>()
      this.#dirty.set(payloadId, paths)
    }
    return paths
  }
}
