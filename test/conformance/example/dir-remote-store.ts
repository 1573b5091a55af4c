/**
 * DirRemoteStore: a RemoteStore in one directory, each object a file named `k` + the hex of
 * its key's UTF-8 bytes. Such names sort as the keys' bytes do (the order listings must have),
 * and any key makes a safe name. Keys are limited to 127 bytes, a file name to 255 (the
 * engine's keys are under 80).
 */
import { randomUUID } from 'node:crypto'
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import {
  type AbortOptions,
  BlockStoreError,
  type HealthReport,
  probeHealth,
  type RemoteObjectInfo,
  type RemoteStore,
  type RemoteStoreCapabilities,
  type RemoteStoreStats,
} from '../../../src/index.js'

const fileName = (key: string): string => `k${Buffer.from(key).toString('hex')}`
const isEnoent = (err: unknown): boolean => (err as { code?: string }).code === 'ENOENT'

export class DirRemoteStore implements RemoteStore {
  readonly backend = 'dir'
  readonly capabilities: RemoteStoreCapabilities = { persistent: true, rangeReads: true }
  readonly root: string
  #closed = false
  readonly #requests: Record<string, number> = {}
  readonly #failures: Record<string, number> = {}
  #uploaded = 0
  #downloaded = 0

  private constructor(root: string) {
    this.root = root
  }

  /** Opens the store in `root`, created when missing. */
  static async open(root: string): Promise<DirRemoteStore> {
    await mkdir(root, { recursive: true })
    return new DirRemoteStore(root)
  }

  async writeBlock(key: string, data: Uint8Array, options?: AbortOptions): Promise<void> {
    const path = this.#enter('put', key, options)
    // Durable before it is visible: a temporary file (hidden from listings), synced, renamed.
    const tmp = join(this.root, `.tmp-${randomUUID()}`)
    try {
      const file = await open(tmp, 'wx')
      try {
        await file.writeFile(data)
        await file.sync()
      } finally {
        await file.close()
      }
      await rename(tmp, path)
      const dir = await open(this.root, 'r')
      await dir.sync().finally(() => dir.close())
    } catch (err) {
      await unlink(tmp).catch(() => {})
      throw this.#failed('put', key, err)
    }
    this.#uploaded += data.byteLength
  }

  async readBlock(key: string, options?: AbortOptions): Promise<Uint8Array> {
    const path = this.#enter('get', key, options)
    const data = await readFile(path).catch((err: unknown) => {
      throw this.#failed('get', key, err)
    })
    this.#downloaded += data.byteLength
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  }

  async readBlockRange(
    key: string,
    offset: number,
    length: number,
    options?: AbortOptions,
  ): Promise<Uint8Array> {
    const path = this.#enter('get', key, options)
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new BlockStoreError('BS_INVALID_OFFSET', `invalid offset ${offset}`, { key })
    }
    if (!Number.isSafeInteger(length) || length <= 0 || !Number.isSafeInteger(offset + length)) {
      throw new BlockStoreError('BS_INVALID_SIZE', `invalid length ${length}`, { key })
    }
    const file = await open(path, 'r').catch((err: unknown) => {
      throw this.#failed('get', key, err)
    })
    try {
      const { size } = await file.stat()
      if (offset >= size) {
        throw new BlockStoreError('BS_INVALID_OFFSET', `offset ${offset} of ${size}`, { key })
      }
      const out = new Uint8Array(Math.min(length, size - offset))
      const { bytesRead } = await file.read(out, 0, out.length, offset)
      this.#downloaded += bytesRead
      return out.subarray(0, bytesRead)
    } finally {
      await file.close()
    }
  }

  async statBlock(key: string, options?: AbortOptions): Promise<RemoteObjectInfo | undefined> {
    const path = this.#enter('head', key, options)
    try {
      const st = await stat(path)
      return { key, size: st.size, lastModified: st.mtimeMs }
    } catch (err) {
      if (isEnoent(err)) return undefined
      throw this.#failed('head', key, err)
    }
  }

  async deleteBlock(key: string, options?: AbortOptions): Promise<void> {
    const path = this.#enter('delete', key, options)
    await unlink(path).catch((err: unknown) => {
      if (!isEnoent(err)) throw this.#failed('delete', key, err)
    })
  }

  async *listObjects(prefix: string, options?: AbortOptions): AsyncIterable<RemoteObjectInfo> {
    this.#enter('list', prefix, options)
    const start = fileName(prefix)
    // Temporary files start with a dot, so never with `start`.
    for (const name of (await readdir(this.root)).filter((n) => n.startsWith(start)).sort()) {
      options?.signal?.throwIfAborted()
      const key = Buffer.from(name.slice(1), 'hex').toString()
      const st = await stat(join(this.root, name)).catch((err: unknown) => {
        if (isEnoent(err)) return undefined // deleted since the directory was read
        throw this.#failed('list', key, err)
      })
      if (st !== undefined) yield { key, size: st.size, lastModified: st.mtimeMs }
    }
  }

  healthcheck(options?: AbortOptions): Promise<HealthReport> {
    return probeHealth(async () => {
      if (this.#closed) throw new Error('closed')
      await stat(this.root)
    }, options?.signal)
  }

  stats(): RemoteStoreStats {
    return {
      requests: { ...this.#requests },
      failures: { ...this.#failures },
      bytesUploaded: this.#uploaded,
      bytesDownloaded: this.#downloaded,
    }
  }

  async close(): Promise<void> {
    this.#closed = true
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** Checks the signal and the gate, counts the request, returns the key's path. */
  #enter(kind: string, key: string, options: AbortOptions | undefined): string {
    options?.signal?.throwIfAborted()
    if (this.#closed) throw new BlockStoreError('BS_STORE_CLOSED', 'dir store is closed')
    if (Buffer.byteLength(key) > 127) {
      throw new BlockStoreError('BS_INVALID_ARGUMENT', 'key longer than 127 bytes', { key })
    }
    this.#requests[kind] = (this.#requests[kind] ?? 0) + 1
    return join(this.root, fileName(key))
  }

  /** Counts a failure and maps it: a missing file is BS_BLOCK_NOT_FOUND. */
  #failed(kind: string, key: string, err: unknown): unknown {
    if (err instanceof BlockStoreError) return err
    this.#failures[kind] = (this.#failures[kind] ?? 0) + 1
    const code = isEnoent(err) ? 'BS_BLOCK_NOT_FOUND' : 'BS_UNAVAILABLE'
    return new BlockStoreError(code, `dir store ${kind} "${key}"`, { key, cause: err })
  }
}
