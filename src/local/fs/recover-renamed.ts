/**
 * Recovery of payload renames (see rename.ts in local/common): a `<stem>.<idx>.<token>.ren` file is a block
 * of another payload linked into this one before a rename's commit. When the block's row names
 * it, the commit happened: the file replaces the block file (fsynced) and the row is pointed at
 * it. Otherwise the rename never committed and the file is a leftover.
 */
import { rename, unlink } from 'node:fs/promises'
import { formatBlockId, parseIndex } from '../../core/keys.js'
import { fsyncPath } from '../../platform/fsync.js'
import { casRow, getRow } from '../common/state/row-store.js'
import type { TierState } from '../common/state/tier-state.js'
import { BLOCK_EXT, type PayloadPlace, RENAMED_EXT } from './layout.js'

/** What {@link promoteRenamed} counts. */
export interface RenameTally {
  orphansDeleted: number
  renamedPromoted: number
}

/**
 * True when `linked` is a path a rename linked the block file `path` in under (same directory,
 * `<idx>.<token>.ren`).
 */
export function isRenamedPathOf(linked: string, path: string): boolean {
  if (!path.endsWith(BLOCK_EXT) || !linked.endsWith(RENAMED_EXT)) return false
  const stem = `${path.slice(0, -BLOCK_EXT.length)}.`
  const token = linked.slice(stem.length, -RENAMED_EXT.length)
  return linked.startsWith(stem) && /^[0-9a-f]+$/.test(token)
}

/** Settles the `.ren` files of a payload (`names`: after its stem); returns them as they are afterwards. */
export async function promoteRenamed(
  s: TierState,
  t: RenameTally,
  pid: string,
  place: PayloadPlace,
  names: readonly string[],
): Promise<string[]> {
  const left = new Set(names)
  for (const file of names) {
    if (!file.endsWith(RENAMED_EXT)) continue
    left.delete(file)
    const path = place.prefix + file
    const idx = parseIndex(file.slice(0, file.indexOf('.')))
    const id = idx === undefined ? undefined : formatBlockId(pid, idx)
    const row = id === undefined ? undefined : await getRow(s.metadata, id)
    if (id === undefined || row?.localPath !== path) {
      t.orphansDeleted++
      await unlink(path)
      continue
    }
    const blockFile = `${idx}${BLOCK_EXT}`
    const target = place.prefix + blockFile
    await rename(path, target)
    // Before the row names the block file: a power loss must not bring the old file back.
    await fsyncPath(place.dir)
    await casRow(s, id, (r) => (r?.localPath === path ? { ...r, localPath: target } : undefined))
    left.add(blockFile)
    t.renamedPromoted++
  }
  return [...left]
}
