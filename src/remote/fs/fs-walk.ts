/**
 * Ordered, prefix-pruned listing of the directory remote store (layout in key-path.ts).
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { decodePiece, segmentsToDirs, TAG } from './key-path.js'

interface Entry {
  readonly kind: 'file' | 'dir'
  /** The whole decoded segment. */
  readonly segment: string
  /** Order key: the segment's UTF-8 bytes, plus `/` for a directory. */
  readonly order: Buffer
  readonly path: string
}

const SLASH = Buffer.from('/')
const decoder = new TextDecoder('utf-8', { fatal: true })

/** One listed object file: its key and absolute path. */
export interface WalkedFile {
  readonly key: string
  readonly path: string
}

/**
 * Yields every object whose key starts with `prefix`, in ascending UTF-8 byte order of keys.
 * Jumps straight to the deepest directory the prefix fully names.
 */
export async function* walkPrefix(root: string, prefix: string): AsyncGenerator<WalkedFile> {
  const segments = prefix.split('/')
  segments.pop()
  const start = join(root, ...segmentsToDirs(segments))
  const base = segments.length === 0 ? '' : `${segments.join('/')}/`
  yield* walk(start, base, prefix)
}

async function* walk(dir: string, base: string, prefix: string): AsyncGenerator<WalkedFile> {
  const entries = await readEntries(dir, new Uint8Array(0))
  entries.sort((a, b) => Buffer.compare(a.order, b.order))
  for (const e of entries) {
    if (e.kind === 'file') {
      const key = base + e.segment
      if (key.startsWith(prefix)) yield { key, path: e.path }
    } else {
      const child = `${base}${e.segment}/`
      if (child.startsWith(prefix) || prefix.startsWith(child)) yield* walk(e.path, child, prefix)
    }
  }
}

/**
 * Entries of one directory level with whole segments: continuation directories (segments
 * longer than one file name) are read through and merged in.
 */
async function readEntries(dir: string, pending: Uint8Array): Promise<Entry[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return []
    throw err
  }
  const out: Entry[] = []
  for (const name of names) {
    const tag = name[0]
    const piece = decodePiece(name.slice(1))
    // Dot files are the store's own (temporary files, format file); foreign names are skipped.
    if (piece === undefined) continue
    const bytes = Buffer.concat([pending, piece])
    const path = join(dir, name)
    if (tag === TAG.continuation) {
      out.push(...(await readEntries(path, bytes)))
      continue
    }
    if (tag !== TAG.file && tag !== TAG.dir) continue
    let segment: string
    try {
      segment = decoder.decode(bytes)
    } catch {
      continue
    }
    const kind = tag === TAG.file ? 'file' : 'dir'
    out.push({ kind, segment, order: kind === 'dir' ? Buffer.concat([bytes, SLASH]) : bytes, path })
  }
  return out
}
