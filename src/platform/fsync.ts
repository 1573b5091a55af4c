/** fsync of one path, shared by the fs stores. */
import { mkdir, open } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'

/**
 * Fsyncs a file, or a directory so that entries created, renamed or removed inside it survive
 * a crash (on Linux a new file's data fsync does not make its name durable).
 */
export async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/**
 * Creates `dir` and any missing parents, then fsyncs the parent of each directory it created,
 * so the new entries survive a power loss: a database or block file created inside a
 * directory whose own entry was never synced can vanish with it.
 */
export async function mkdirDurable(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true })
  if (first === undefined) return
  // `first` is the outermost directory created; every directory from it down to `dir` is new,
  // so each one's parent needs its entry synced.
  for (let d = resolve(dir); ; d = dirname(d)) {
    await fsyncPath(dirname(d))
    if (d === resolve(first)) break
  }
}
