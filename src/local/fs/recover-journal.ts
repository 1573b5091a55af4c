/**
 * Replays the flush journal at open, before the block files are walked: the last record of
 * each block is written back into its file when the block's row still says its bytes are
 * local (a Remote row means the block moved on after the record, and every other change calls
 * the journal's barrier first). A block with no row at all gets one (Local) when its payload's
 * record covers it: a flush commits its rows and its payload record at the same time, and a kill
 * can land after the record and before the rows; without the record's bytes the payload would
 * read zeros where the write was. No row and no covering record: the flush never committed.
 * Then the files are made durable and the old generations deleted; a fresh generation is
 * started by the store.
 */
import { mkdir, unlink, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { BlockState, isRemote, newFileBlock } from '../../core/block.js'
import { BlockSize } from '../../core/constants.js'
import { formatBlockId } from '../../core/keys.js'
import { payloadIdProblem } from '../../core/payload-id.js'
import { fsyncPath } from '../../platform/fsync.js'
import { syncFileSystem } from '../../platform/syncfs.js'
import { getRow } from '../common/rows.js'
import type { TierState } from '../common/tier-state.js'
import { readJournal } from './flush-journal.js'
import type { JournalRecord } from './journal-format.js'
import type { FsLayout } from './layout.js'

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
  const idFiles = new Set<string>()
  for (const [id, r] of latest) {
    if (payloadIdProblem(r.payloadId) !== undefined) continue
    const row = await getRow(s.metadata, id)
    const path = layout.blockPath(r.payloadId, r.blockIdx)
    if (row === undefined) {
      const record = await s.metadata.getPayload(r.payloadId)
      if (record === undefined || record.size <= r.blockIdx * BlockSize) continue
      const created = {
        ...newFileBlock(id, path),
        state: BlockState.Local,
        dataSize: r.data.length,
      }
      // Written first: a row must never name a file that is not there.
      const idFile = await writeBlock(layout, r, path)
      if (idFile !== undefined) idFiles.add(idFile)
      if ((await s.metadata.compareAndPutFileBlock(created, 0)) === undefined) continue
      written.push(path)
      continue
    }
    if (isRemote(row)) continue
    // A row naming another file (a staged overwrite, a renamed block) names newer bytes.
    if (row.localPath !== '' && row.localPath !== path) continue
    const idFile = await writeBlock(layout, r, path)
    if (idFile !== undefined) idFiles.add(idFile)
    written.push(path)
  }
  if (written.length > 0 && !(await syncFileSystem(layout.dir))) {
    const paths = new Set<string>(idFiles)
    for (const path of written) {
      await fsyncPath(path)
      paths.add(dirname(path))
    }
    for (const p of paths) await fsyncPath(p)
  }
  for (const g of gens) await unlink(g.path)
  if (gens.length > 0) await fsyncPath(layout.journalDir)
  return { replayed: written.length, lastGen: gens.at(-1)?.gen ?? 0 }
}

async function writeBlock(
  layout: FsLayout,
  r: JournalRecord,
  path: string,
): Promise<string | undefined> {
  await mkdir(layout.place(r.payloadId).dir, { recursive: true })
  const idFile = await layout.writeIdFile(r.payloadId)
  await writeFile(path, r.data)
  // The ID file is synced with the block (fallback path), as the medium does.
  return idFile
}
