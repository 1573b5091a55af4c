/**
 * The files of the flush journal (flush-journal.ts), apart from its in-memory state: opening a
 * generation's file (recycling the spare), the spare file itself, and reading the generations
 * an earlier process left. Nothing here knows about batches or checkpoints.
 */
import type { FileHandle } from 'node:fs/promises'
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { isEnoent } from '../../platform/errno.js'
import { fsyncPath } from '../../platform/fsync.js'
import {
  decodeRecords,
  highestGeneration,
  type JournalRecord,
  recordLength,
} from './journal-format.js'

const LOG_EXT = '.log'
/** Name of a retired generation's file, kept for reuse (see flush-journal.ts). */
export const SPARE = 'spare'
/** Bound on one record (a block of at most 1 MiB, an ID of at most 64 KiB, the header). */
const MAX_RECORD_BYTES = 2 * 1024 * 1024

/**
 * One generation of the journal: its open file, where the next batch goes, and what the
 * flush journal knows about its records.
 */
export interface Generation {
  readonly gen: number
  readonly path: string
  readonly fh: FileHandle
  offset: number
  /** Blocks with a record in this generation. */
  readonly blocks: Map<string, Set<number>>
  /** The batch being written to it, if any. */
  writing: Promise<void> | undefined
  /**
   * Set when a checkpoint is about to make this generation's blocks and the metadata durable:
   * what its flushers do after that is not covered by it.
   */
  syncing: boolean
}

/** A generation left by an earlier process: its records, in append order. */
export interface SurvivingGeneration {
  readonly gen: number
  readonly path: string
  readonly records: JournalRecord[]
}

/** Lists the journal generations in `dir` (oldest first) with their valid records. */
export async function readJournal(dir: string): Promise<SurvivingGeneration[]> {
  const names = await readdir(dir).catch((err: unknown) => {
    if (isEnoent(err)) return []
    throw err
  })
  const out: SurvivingGeneration[] = []
  for (const name of names) {
    if (!name.endsWith(LOG_EXT)) continue
    const gen = Number(name.slice(0, -LOG_EXT.length))
    if (!Number.isSafeInteger(gen) || gen < 0) continue
    const path = join(dir, name)
    out.push({ gen, path, records: decodeRecords(gen, await readFile(path)) })
  }
  return out.sort((a, b) => a.gen - b.gen)
}

/**
 * Starts generation `gen` in `dir`: the spare file renamed to it when there is one, a new file
 * otherwise. Its name is durable before it is returned, and the file is removed again if that
 * fails.
 */
export async function newGeneration(dir: string, gen: number): Promise<Generation> {
  const path = join(dir, `${gen}${LOG_EXT}`)
  // The spare file if there is one (its blocks already allocated), a new file otherwise.
  const recycled = await rename(join(dir, SPARE), path).then(
    () => true,
    (err: unknown) => {
      if (isEnoent(err)) return false
      throw err
    },
  )
  // Readable too: a record kept as a block's copy is read back through it (packs.ts).
  const fh = await open(path, recycled ? 'r+' : 'wx+')
  try {
    await fh.sync()
    // Its name must survive a crash before any record in it is acknowledged.
    await fsyncPath(dir)
  } catch (err) {
    await fh.close().catch(() => {})
    await unlink(path).catch(() => {})
    throw err
  }
  return { gen, path, fh, offset: 0, blocks: new Map(), writing: undefined, syncing: false }
}

/** The buffers left after `n` bytes of `bufs` were written. */
export function rest(bufs: Buffer[], n: number): Buffer[] {
  let skip = n
  const out: Buffer[] = []
  for (const b of bufs) {
    if (skip >= b.length) {
      skip -= b.length
      continue
    }
    out.push(skip > 0 ? b.subarray(skip) : b)
    skip = 0
  }
  return out
}

/** Writes a file of zeros and makes it durable (allocated blocks for the first generation). */
export async function preallocate(path: string, bytes: number): Promise<void> {
  const fh = await open(path, 'w')
  try {
    const zeros = Buffer.alloc(1024 * 1024)
    for (let at = 0; at < bytes; at += zeros.length) await fh.write(zeros, 0, zeros.length, at)
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/**
 * The generation of the spare file's first record (0 when it has none or there is no spare):
 * the highest in the file, as every use writes from the start. Only that record is read, not
 * the whole file (32 MiB or more once recycled), on every open.
 */
export async function spareGeneration(path: string): Promise<number> {
  const fh = await open(path, 'r').catch((err: unknown) => {
    if (isEnoent(err)) return undefined
    throw err
  })
  if (fh === undefined) return 0
  try {
    const head = Buffer.alloc(8)
    const { bytesRead } = await fh.read(head, 0, head.length, 0)
    if (bytesRead < head.length) return 0
    const first = Buffer.alloc(Math.min(recordLength(head), MAX_RECORD_BYTES))
    const got = await fh.read(first, 0, first.length, 0)
    return highestGeneration(first.subarray(0, got.bytesRead))
  } finally {
    await fh.close()
  }
}
