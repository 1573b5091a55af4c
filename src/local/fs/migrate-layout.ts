/**
 * Moves the payload directories of formats 1 and 2 (`blocks/<s>/<sha256(id)>/` holding `id`,
 * `<idx>.blk`, `<idx>.next`, `<idx>.<token>.ren`) into format 3's shard directories (layout.ts),
 * at open, before the journal is replayed: the replay and the walk only know format 3's names.
 *
 * Every step can be cut by a crash and run again, and no row ever names a file a power loss
 * could take away:
 * 1. every file gets its new name as a hard link (the bytes are not copied), the ID files of
 *    long IDs are written, and all of it is made durable;
 * 2. each row naming an old path is pointed at the new one (compare-and-set, so a rerun that
 *    finds it done changes nothing);
 * 3. the old directories are deleted.
 * A rerun after step 3 began finds fewer old files; their new names exist, on the same inodes.
 */
import { link, readdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { BlockStoreError } from '../../core/errors.js'
import { formatBlockId, parseIndex } from '../../core/keys.js'
import { payloadIdProblem } from '../../core/payload-id.js'
import { isEnoent } from '../../platform/errno.js'
import { fsyncPath } from '../../platform/fsync.js'
import { syncFileSystem } from '../../platform/syncfs.js'
import { casRow } from '../common/state/row-store.js'
import type { TierState } from '../common/state/tier-state.js'
import { BLOCK_EXT, FsLayout, LEGACY_ID_FILE, RENAMED_EXT, STAGED_EXT } from './layout.js'

interface Move {
  readonly id: string
  readonly from: string
  readonly to: string
}

async function entries(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true })
  } catch (err) {
    if (isEnoent(err)) return []
    throw err
  }
}

/** The payload ID of an old payload directory, or `undefined` when it cannot be trusted. */
async function legacyId(dir: string, name: string): Promise<string | undefined> {
  const id = await readFile(join(dir, LEGACY_ID_FILE), 'utf8').catch(() => undefined)
  if (id === undefined || payloadIdProblem(id) !== undefined) return undefined
  return FsLayout.hashId(id) === name ? id : undefined
}

/** True for the names of files that may hold a block's bytes (anything else is a leftover). */
function isBlockFile(name: string): boolean {
  return name.endsWith(BLOCK_EXT) || name.endsWith(STAGED_EXT) || name.endsWith(RENAMED_EXT)
}

/** Gives `from` the name `to` as well; a name left by an earlier, cut run must be the same file. */
async function linkOnce(from: string, to: string): Promise<void> {
  try {
    await link(from, to)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    const [a, b] = await Promise.all([stat(from), stat(to)])
    if (a.ino === b.ino && a.dev === b.dev) return
    throw new BlockStoreError(
      'BS_UNSUPPORTED_FORMAT',
      `cannot migrate ${from}: ${to} exists and is another file; move one of them away`,
    )
  }
}

/** What {@link migrateLegacyDirs} did. */
export interface Migration {
  /** Old payload directories found (and removed). */
  readonly dirs: number
  /** Block files deleted with a directory whose ID file is missing or wrong. */
  readonly orphans: number
}

/**
 * Moves every old payload directory into the shard directories. A directory whose ID file is
 * missing or wrong held nothing acknowledged (the ID file was written before any block) and
 * is deleted.
 */
export async function migrateLegacyDirs(s: TierState, layout: FsLayout): Promise<Migration> {
  const moves: Move[] = []
  const oldDirs: string[] = []
  let orphans = 0
  const synced = new Set<string>()
  for (const shard of layout.shardDirs()) {
    for (const entry of await entries(shard)) {
      if (!entry.isDirectory()) continue
      const dir = join(shard, entry.name)
      oldDirs.push(dir)
      const pid = await legacyId(dir, entry.name)
      if (pid === undefined) {
        orphans += (await readdir(dir)).filter((n) => n.endsWith(BLOCK_EXT)).length
        continue
      }
      const place = layout.place(pid)
      const idFile = await layout.writeIdFile(pid)
      if (idFile !== undefined) synced.add(idFile)
      for (const name of await readdir(dir)) {
        const idx = parseIndex(name.slice(0, name.indexOf('.')))
        if (idx === undefined || !isBlockFile(name)) continue
        const move = { id: formatBlockId(pid, idx), from: join(dir, name), to: place.prefix + name }
        await linkOnce(move.from, move.to)
        moves.push(move)
      }
      synced.add(place.dir)
    }
  }
  if (oldDirs.length === 0) return { dirs: 0, orphans: 0 }
  if (!(await syncFileSystem(layout.dir))) for (const path of synced) await fsyncPath(path)
  for (const m of moves) {
    await casRow(s, m.id, (r) =>
      r !== undefined && r.localPath === m.from ? { ...r, localPath: m.to } : undefined,
    )
  }
  for (const dir of oldDirs) await rm(dir, { recursive: true, force: true })
  for (const shard of layout.shardDirs()) await fsyncPath(shard)
  return { dirs: oldDirs.length, orphans }
}
