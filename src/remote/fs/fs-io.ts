/**
 * File primitives of the directory remote store: atomic durable writes, ranged reads, pruning
 * of empty directories, and the mapping of Node fs errors to BlockStoreError codes.
 */
import { randomUUID } from 'node:crypto'
import { mkdir, open, rename, rmdir, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { BlockStoreError, type ErrorCode, isBlockStoreError } from '../../core/errors.js'
import { fsyncPath } from '../../platform/fsync.js'
import type { GroupSync } from '../../platform/syncfs.js'

const BACKEND = 'fs'

/** Maps a Node fs error to a BlockStoreError (AbortErrors and BlockStoreErrors pass through). */
export function fsError(err: unknown, op: string, key: string): unknown {
  if (isBlockStoreError(err) || (err instanceof Error && err.name === 'AbortError')) return err
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  const mapped: ErrorCode =
    code === 'ENOENT'
      ? 'BS_BLOCK_NOT_FOUND'
      : code === 'EACCES' || code === 'EPERM'
        ? 'BS_ACCESS_DENIED'
        : code === 'ENOSPC'
          ? 'BS_STORAGE_FULL'
          : code === 'EDQUOT'
            ? 'BS_QUOTA_EXCEEDED'
            : code === 'EROFS'
              ? 'BS_READ_ONLY'
              : code === 'ENAMETOOLONG'
                ? 'BS_INVALID_ARGUMENT'
                : // EIO, ESTALE, ETIMEDOUT...: a NAS that went away; retrying may succeed.
                  'BS_UNAVAILABLE'
  const message = err instanceof Error ? err.message : String(err)
  return new BlockStoreError(mapped, `fs remote ${op} "${key}": ${message}`, {
    cause: err,
    op,
    key,
    backend: BACKEND,
  })
}

/**
 * Runs `fill(tmpPath)` to write and fsync a fresh temporary file next to `path`, renames it over
 * `path` and fsyncs the directory. Retries when a concurrent prune removed the directory.
 */
export async function atomicReplace(
  path: string,
  fill: (tmp: string) => Promise<void>,
  group?: GroupSync,
): Promise<void> {
  const dir = dirname(path)
  const tmp = join(dir, `.tmp-${randomUUID()}`)
  // The directory usually exists: it is created only when the first attempt finds it missing
  // (a new key prefix, or a concurrent prune removed it), not with a mkdir before every write.
  for (let attempt = 1; ; attempt++) {
    try {
      await fill(tmp)
      break
    } catch (err) {
      await unlink(tmp).catch(() => undefined)
      const vanished = (err as NodeJS.ErrnoException).code === 'ENOENT' && attempt < 5
      if (!vanished || isBlockStoreError(err)) throw err
      await mkdir(dir, { recursive: true })
    }
  }
  try {
    await rename(tmp, path)
  } catch (err) {
    await unlink(tmp).catch(() => undefined)
    throw err
  }
  if (group !== undefined && (await group.sync())) return
  await fsyncPath(dir)
}

/**
 * Writes `data` to a new file at `tmp` and makes it durable: by the shared syncfs of `group`
 * when given (and available), by its own fsync otherwise. Either way before it is renamed into
 * place, so a name never points at bytes a crash could undo.
 */
export async function writeNew(tmp: string, data: Uint8Array, group?: GroupSync): Promise<void> {
  const fh = await open(tmp, 'wx')
  try {
    let done = 0
    while (done < data.byteLength) {
      const { bytesWritten } = await fh.write(data, done, data.byteLength - done)
      done += bytesWritten
    }
    if (group === undefined || !(await group.sync())) await fh.sync()
  } finally {
    await fh.close()
  }
}

/** Reads `[offset, min(offset+length, size))` of a file; `size` is checked by the caller. */
export async function readRange(
  path: string,
  offset: number,
  length: number,
  onSize: (size: number) => void,
): Promise<Uint8Array> {
  const fh = await open(path, 'r')
  try {
    const { size } = await fh.stat()
    onSize(size)
    const out = new Uint8Array(Math.max(0, Math.min(length, size - offset)))
    let done = 0
    while (done < out.byteLength) {
      const { bytesRead } = await fh.read(out, done, out.byteLength - done, offset + done)
      if (bytesRead === 0) break
      done += bytesRead
    }
    return done === out.byteLength ? out : out.slice(0, done)
  } finally {
    await fh.close()
  }
}

/** Removes now-empty directories from `dir` up to (not including) `root`. */
export async function pruneEmptyDirs(root: string, dir: string): Promise<void> {
  let current = dir
  while (current.length > root.length && current.startsWith(root)) {
    try {
      await rmdir(current)
    } catch {
      // Not empty (a sibling object or a concurrent write) or already gone: stop here.
      return
    }
    current = dirname(current)
  }
}
