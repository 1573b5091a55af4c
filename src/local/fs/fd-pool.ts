/**
 * A bounded LRU pool of open block files (read-write). Handles in use are never closed under
 * their user: an evicted or invalidated handle closes when its last user is done.
 */
import { constants } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'

interface Slot {
  readonly handle: Promise<FileHandle>
  users: number
  dropped: boolean
}

/** Default number of open files kept. */
export const DEFAULT_FD_POOL_SIZE = 256

/** LRU pool of file handles keyed by path. */
export class FdPool {
  readonly #max: number
  readonly #slots = new Map<string, Slot>()

  constructor(max = DEFAULT_FD_POOL_SIZE) {
    this.#max = Math.max(1, max)
  }

  /** Open handles. */
  get size(): number {
    return this.#slots.size
  }

  /**
   * Runs `fn` with the file's handle, opened read-write when not pooled yet: created when
   * `create`, and also emptied when `'truncate'`. `fn` learns whether this call opened the
   * handle (a handle already pooled was not emptied).
   */
  async use<T>(
    path: string,
    create: boolean | 'truncate',
    fn: (fh: FileHandle, opened: boolean) => Promise<T>,
  ): Promise<T> {
    let slot = this.#slots.get(path)
    let opened = false
    if (slot === undefined) {
      let flags = constants.O_RDWR
      if (create !== false) flags |= constants.O_CREAT
      if (create === 'truncate') flags |= constants.O_TRUNC
      slot = { handle: open(path, flags, 0o644), users: 1, dropped: false }
      opened = true
      this.#slots.set(path, slot)
      this.#trim()
    } else {
      // Move to the most recently used end.
      this.#slots.delete(path)
      this.#slots.set(path, slot)
      slot.users++
    }
    try {
      return await fn(await slot.handle, opened)
    } catch (err) {
      // A failed open or I/O error: never keep the handle for the next caller.
      if (this.#slots.get(path) === slot) this.#slots.delete(path)
      slot.dropped = true
      throw err
    } finally {
      slot.users--
      if (slot.dropped && slot.users === 0) await closeQuietly(slot)
    }
  }

  /**
   * Reads `length` bytes at `position` into `dest` at `destOffset`; past the file's end `dest`
   * is zero-filled. Returns the bytes the file had: a short count is a sparse tail or damage,
   * which the caller tells apart from the size it wrote.
   */
  readFull(
    path: string,
    dest: Uint8Array,
    destOffset: number,
    position: number,
    length: number,
  ): Promise<number> {
    return this.use(path, false, async (fh) => {
      let done = 0
      while (done < length) {
        const { bytesRead } = await fh.read(dest, destOffset + done, length - done, position + done)
        if (bytesRead === 0) break
        done += bytesRead
      }
      dest.fill(0, destOffset + done, destOffset + length)
      return done
    })
  }

  /**
   * Writes all of `data` at `position`, creating the file if needed. `fresh`: the file is new
   * to its owner, so a leftover of the same name must not keep a stale tail (opened here, the
   * open empties it and saves a syscall per new file).
   */
  writeFull(path: string, data: Uint8Array, position: number, fresh = false): Promise<void> {
    return this.use(path, fresh ? 'truncate' : true, async (fh, opened) => {
      if (fresh && !opened) await fh.truncate(0)
      let done = 0
      while (done < data.length) {
        const { bytesWritten } = await fh.write(data, done, data.length - done, position + done)
        done += bytesWritten
      }
    })
  }

  /** Closes the file's handle (now, or when its last user finishes). */
  async close(path: string): Promise<void> {
    const slot = this.#slots.get(path)
    if (slot === undefined) return
    this.#slots.delete(path)
    slot.dropped = true
    if (slot.users === 0) await closeQuietly(slot)
  }

  /** Closes every handle. */
  async closeAll(): Promise<void> {
    const paths = [...this.#slots.keys()]
    await Promise.all(paths.map((p) => this.close(p)))
  }

  #trim(): void {
    for (const [path, slot] of this.#slots) {
      if (this.#slots.size <= this.#max) break
      if (slot.users > 0) continue
      this.#slots.delete(path)
      slot.dropped = true
      // Closing is awaited by nobody: its only possible failure is on a failed open.
      void slot.handle.then(
        (fh) => fh.close().catch(() => {}),
        () => {},
      )
    }
  }
}

async function closeQuietly(slot: Slot): Promise<void> {
  try {
    await (await slot.handle).close()
  } catch {
    // The open itself failed (already reported to its user) or the handle is closed.
  }
}
