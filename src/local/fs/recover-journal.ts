/**
 * Replays the flush journal at open, before the block files are walked.
 *
 * A journaled flush returns once its records are durable; its metadata commit (rows Local, the
 * payload record) is made but only synced later, by the checkpoint that retires the records.
 * So a kill can keep a record and lose that commit, and the replay redoes it:
 * - first each payload's record, from the last record of that payload: created when missing,
 *   grown when smaller (a later truncate or delete would have retired the record first, so a
 *   larger stored size is a later flush's). The walk that follows drops every payload without
 *   a record as never flushed; without this step it would drop acknowledged bytes;
 * - then the last record of each block is written back into its file when the block's row
 *   still says its bytes are local (a Remote row means the block moved on after the record:
 *   a write over remote bytes commits its Dirty row durably and retires the records first),
 *   or names a record of an older generation, sealed in a pack (that row predates the record).
 *   A block with no row at all gets one (Local) when its payload's record covers it. No row
 *   and no covering record: the flush never committed. The walk then fixes each kept row's
 *   state and size from its file.
 * A reset record (a small replacement, the payload's whole content in one record) overrides
 * everything of its payload before it: earlier records of the payload are dropped, its stored
 * size is set exactly (not only grown), rows of blocks no later record covers are deleted (the
 * walk then deletes their files), and a row that says Remote, or names another file, is no
 * proof of having moved on: the reset's own commits may be what was lost, so its record is
 * written back unless the Remote row holds exactly the record's bytes.
 * Then the files are made durable and the old generations deleted; a fresh generation is
 * started by the store.
 */
import { mkdir, unlink, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { BlockState, type FileBlock, isRemote, newFileBlock } from '../../core/block.js'
import { BlockSize } from '../../core/constants.js'
import { ContentHash } from '../../core/hash.js'
import { formatBlockId, parseBlockId } from '../../core/keys.js'
import { payloadIdProblem } from '../../core/payload-id.js'
import { fsyncPath } from '../../platform/fsync.js'
import { hashBlock } from '../../platform/hash-block.js'
import { syncFileSystem } from '../../platform/syncfs.js'
import { casRow, deleteRow, getRow } from '../common/state/row-store.js'
import type { TierState } from '../common/state/tier-state.js'
import { readJournal } from './flush-journal.js'
import type { JournalRecord } from './journal-format.js'
import type { FsLayout } from './layout.js'
import { parsePlace } from './record-place.js'

/** What the replay did. */
export interface JournalReplay {
  /** Block files written back from records. */
  readonly replayed: number
  /** Payload records stored or grown from records (their flush's commit was lost). */
  readonly restored: number
  /** Rows of blocks a reset record dropped (their reset's commits were lost). */
  readonly resetDropped: number
  /** Highest generation found (0 when none): the next one starts after it. */
  readonly lastGen: number
}

/** See the module comment. */
export async function replayJournal(s: TierState, layout: FsLayout): Promise<JournalReplay> {
  const gens = await readJournal(layout.journalDir)
  const replayedGens = new Set(gens.map((g) => g.gen))
  const latest = new Map<string, JournalRecord>()
  /** Generation of each record in `latest`. */
  const genOf = new Map<string, number>()
  const sizes = new Map<string, JournalRecord>()
  /** Block IDs in `latest` of each payload. */
  const blocksOf = new Map<string, Set<string>>()
  /** Payloads with a reset record. */
  const resets = new Set<string>()
  for (const g of gens) {
    for (const r of g.records) {
      const id = formatBlockId(r.payloadId, r.blockIdx)
      let ids = blocksOf.get(r.payloadId)
      if (ids === undefined || r.reset === true) {
        for (const old of ids ?? []) latest.delete(old)
        ids = new Set()
        blocksOf.set(r.payloadId, ids)
      }
      if (r.reset === true) resets.add(r.payloadId)
      ids.add(id)
      latest.set(id, r)
      genOf.set(id, g.gen)
      if (r.payloadSize !== undefined) sizes.set(r.payloadId, r)
    }
  }
  const restored = await restorePayloads(s, sizes, resets)
  const resetDropped = await dropReplacedBlocks(s, resets, blocksOf)
  const written: string[] = []
  const idFiles = new Set<string>()
  for (const [id, r] of latest) {
    if (payloadIdProblem(r.payloadId) !== undefined) continue
    const row = await getRow(s.metadata, id)
    const path = layout.blockPath(r.payloadId, r.blockIdx)
    if (row !== undefined && resets.has(r.payloadId) && !sameBytes(row, r.data)) {
      // The row may predate the reset (its commit lost): the record is the block's content.
      const idFile = await writeBlock(layout, r, path)
      if (idFile !== undefined) idFiles.add(idFile)
      await casRow(s, id, (cur) =>
        cur === undefined
          ? undefined
          : {
              ...cur,
              state: BlockState.Local,
              localPath: path,
              dataSize: r.data.length,
              hash: ContentHash.ZERO,
              blockStoreKey: '',
              chunkRoot: undefined,
            },
      )
      written.push(path)
      continue
    }
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
    // A row naming one of these generations' records as its copy (the generation was not
    // sealed into a pack before the crash): the record goes into the block's file like any
    // other, and the row names the file, as these generations are deleted below.
    const place = parsePlace(row.localPath)
    const inReplayed = place !== undefined && replayedGens.has(place.gen)
    if (isRemote(row) && !inReplayed) continue
    // A Local row naming a record of a sealed pack older than this record: this record's
    // flush came later and its commit was lost (generations only grow). Its bytes win.
    const older = place !== undefined && place.gen < (genOf.get(id) ?? 0)
    const movesRow = inReplayed || older
    // A row naming another file (a staged overwrite, a renamed block) names newer bytes.
    if (row.localPath !== '' && row.localPath !== path && !movesRow) continue
    const idFile = await writeBlock(layout, r, path)
    if (idFile !== undefined) idFiles.add(idFile)
    if (movesRow) {
      // A Remote row keeps its state: the file is its cached copy, the same bytes.
      await casRow(s, id, (cur) =>
        cur?.localPath === row.localPath
          ? { ...cur, localPath: path, dataSize: r.data.length }
          : undefined,
      )
    }
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
  return { replayed: written.length, restored, resetDropped, lastGen: gens.at(-1)?.gen ?? 0 }
}

/**
 * True when a Remote row already holds exactly `data` (the reset was applied, then uploaded):
 * nothing to write back. Any other row of a reset payload is rewritten from its record.
 */
function sameBytes(row: FileBlock, data: Uint8Array): boolean {
  if (!isRemote(row) || row.dataSize !== data.length || row.hash.isZero()) return false
  return row.hash.equals(hashBlock(data))
}

/**
 * Deletes the rows of reset payloads' blocks that no record from the reset on covers: the old
 * content past the new one, whose deletes the reset made and a power loss undid.
 */
async function dropReplacedBlocks(
  s: TierState,
  resets: ReadonlySet<string>,
  blocksOf: ReadonlyMap<string, ReadonlySet<string>>,
): Promise<number> {
  let dropped = 0
  for (const pid of resets) {
    if (payloadIdProblem(pid) !== undefined) continue
    const kept = blocksOf.get(pid) ?? new Set<string>()
    for (const row of await s.metadata.listFileBlocks(pid)) {
      const at = parseBlockId(row.id)
      if (at === undefined || at.payloadId !== pid || kept.has(row.id)) continue
      if ((await deleteRow(s, row.id)) !== undefined) dropped++
    }
  }
  return dropped
}

/**
 * Stores the payload record each payload's last record carries, where the stored one is
 * missing or smaller (or, after a reset, different); returns how many were stored.
 */
async function restorePayloads(
  s: TierState,
  last: ReadonlyMap<string, JournalRecord>,
  resets: ReadonlySet<string>,
): Promise<number> {
  let restored = 0
  for (const [pid, r] of last) {
    const size = r.payloadSize
    const modifiedAt = r.modifiedAt ?? 0
    if (payloadIdProblem(pid) !== undefined) continue
    if (size === undefined || !Number.isSafeInteger(size) || size < 0) continue
    const record = await s.metadata.getPayload(pid)
    // After a reset the last record's size is the payload's: a later shrink would have
    // retired the records first. Without one a larger stored size is a later flush's.
    if (record !== undefined && (resets.has(pid) ? record.size === size : record.size >= size))
      continue
    await s.metadata.putPayload({
      id: pid,
      size,
      createdAt: record?.createdAt ?? modifiedAt,
      modifiedAt: Math.max(record?.modifiedAt ?? 0, modifiedAt),
    })
    restored++
  }
  return restored
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
