/** fsync of one path, shared by the fs stores. */
import { open } from 'node:fs/promises'

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
