/**
 * Reading the shard directories back at recovery: their files grouped by stem, and the payload
 * a stem names (see layout.ts for how names are made).
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { payloadIdProblem } from '../../core/payload-id.js'
import { isEnoent } from '../../platform/errno.js'
import { FsLayout, ID_SUFFIX } from './layout.js'

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir)
  } catch (err) {
    if (isEnoent(err)) return []
    throw err
  }
}

/**
 * The payload ID of a stem found in shard directory `shard`, or `undefined` when no payload of
 * ours could have written it (its files are then leftovers): not the canonical spelling of a
 * valid ID, a hashed stem whose ID file is missing or names another ID, or the wrong shard.
 */
export async function payloadIdOf(
  layout: FsLayout,
  shard: string,
  stem: string,
): Promise<string | undefined> {
  let id = FsLayout.idOfStem(stem)
  if (id === undefined && FsLayout.isHashedStem(stem)) {
    const text = await readFile(join(shard, `${stem}.${ID_SUFFIX}`), 'utf8').catch(() => undefined)
    if (text !== undefined && payloadIdProblem(text) === undefined) id = text
  }
  if (id === undefined || FsLayout.stemOf(id) !== stem) return undefined
  return layout.shardDir(id) === shard ? id : undefined
}

/**
 * The files of a shard directory by stem (the part of a name before its first dot), each given
 * by the rest of its name after that dot (`''` for a name without a dot).
 */
export async function filesByStem(shard: string): Promise<Map<string, string[]>> {
  const byStem = new Map<string, string[]>()
  for (const name of await list(shard)) {
    const dot = name.indexOf('.')
    const stem = dot < 0 ? name : name.slice(0, dot)
    const rest = dot < 0 ? '' : name.slice(dot + 1)
    const names = byStem.get(stem)
    if (names === undefined) byStem.set(stem, [rest])
    else names.push(rest)
  }
  return byStem
}
