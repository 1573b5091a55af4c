/**
 * One process per local store: two engines on the same block directory would each believe
 * they own it and could evict or overwrite each other's unsynced blocks. A lock file beside
 * the directory holds the owner's PID; a lock whose process is gone (SIGKILL) is taken over.
 */
import { mkdir, open, readFile, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { BlockStoreError } from '../core/errors.js'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** A held lock on a local store directory. */
export class DataDirLock implements AsyncDisposable {
  readonly path: string
  #released = false

  private constructor(path: string) {
    this.path = path
  }

  /**
   * Takes the lock of `localDir` (file `<localDir>.lock`).
   * @throws {BlockStoreError} BS_BUSY when another live process holds it.
   */
  static async acquire(localDir: string): Promise<DataDirLock> {
    const path = `${localDir.replace(/\/+$/, '')}.lock`
    await mkdir(dirname(path), { recursive: true })
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fh = await open(path, 'wx')
        await fh.writeFile(`${process.pid}\n`)
        await fh.close()
        return new DataDirLock(path)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      }
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim())
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new BlockStoreError(
          'BS_BUSY',
          `${localDir} is in use by process ${pid} (a running server? talk to it with --url)`,
        )
      }
      // The owner died without releasing: take the lock over.
      await unlink(path).catch(() => undefined)
    }
    throw new BlockStoreError('BS_BUSY', `could not lock ${localDir}`)
  }

  /** Releases the lock if this process still holds it. Idempotent. */
  async release(): Promise<void> {
    if (this.#released) return
    this.#released = true
    const owner = (await readFile(this.path, 'utf8').catch(() => '')).trim()
    if (owner === String(process.pid)) await unlink(this.path).catch(() => undefined)
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release()
  }
}
