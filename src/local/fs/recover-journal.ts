/**
 * Replays the flush journal at open, before the block files are walked: the last record of
 * each block is written back into its file when the block's row still says its bytes are
 * local (a row gone, or turned Remote, means the block moved on after the record, and every
 * other change calls the journal's barrier first). Then the files are made durable and the
 * old generations deleted; a fresh generation is started by the store.
 */
import { mkdir, unlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { isRemote } from '../../core/block.js'
import { formatBlockId } from '../../core/keys.js'
import { payloadIdProblem } from '../../core/payload-id.js'
import { fsyncPath, syncFileSystem } from '../../platform/fsync.js'
import { getRow } from '../common/rows.js'
import type { TierState } from '../common/tier-state.js'
import { readJournal } from './flush-journal.js'
import type { JournalRecord } from './journal-format.js'
import { type FsLayout, ID_FILE } from './layout.js'

/** What the replay did. */
export interface JournalReplay {
  /** Block files written back from records. */
  readonly replayed: number
  /** Highest generation found (0 when none): the next one starts after it. */
  readonly lastGen: number
}

/** See the module comment. */
export async function replayJournal(s: TierState, layout: FsLayout): Promise<JournalReplay> {
  const gens = await readJournal(layout.journalDir)
  const latest = new Map<string, JournalRecord>()
  for (const g of gens) {
    for (const r of g.records) latest.set(formatBlockId(r.payloadId, r.blockIdx), r)
  }
  const written: string[] = []
  for (const [id, r] of latest) {
    if (payloadIdProblem(r.payloadId) !== undefined) continue
    const row = await getRow(s.metadata, id)
    if (row === undefined || isRemote(row)) continue
    const path = layout.blockPath(r.payloadId, r.blockIdx)
    // A row naming another file (a staged overwrite, a renamed block) names newer bytes.
    if (row.localPath !== '' && row.localPath !== path) continue
    const dir = dirname(path)
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, ID_FILE), r.payloadId, 'utf8')
    await writeFile(path, r.data)
    written.push(path)
  }
  if (written.length > 0 && !(await syncFileSystem(layout.dir))) {
    const dirs = new Set<string>()
    for (const path of written) {
      await fsyncPath(path)
      dirs.add(join(dirname(path), ID_FILE))
      dirs.add(dirname(path))
      dirs.add(dirname(dirname(path)))
    }
    dirs.add(layout.blocksDir)
    for (const d of dirs) await fsyncPath(d)
  }
  for (const g of gens) await unlink(g.path)
  if (gens.length > 0) await fsyncPath(layout.journalDir)
  return { replayed: written.length, lastGen: gens.at(-1)?.gen ?? 0 }
}
