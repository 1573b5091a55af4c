/**
 * Crash recovery of the fs local store, run by `open` before anything else. Rows are written
 * (Dirty) before a block file is first created, so a file without a row is a never
 * acknowledged leftover and is deleted; a Dirty or Syncing row whose file exists turns Local;
 * a Remote row keeps the file it names as a cached copy; accounting is rebuilt from the files
 * themselves.
 */
import { rename, rm, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { BlockState, type FileBlock, isRemote } from '../../core/block.js'
import { BlockSize } from '../../core/constants.js'
import { BlockStoreError } from '../../core/errors.js'
import { ContentHash } from '../../core/hash.js'
import { formatBlockId, parseBlockId, parseIndex } from '../../core/keys.js'
import type { RecoveryReport } from '../../core/local-store.js'
import { fsyncPath } from '../../platform/fsync.js'
import { purgeLeftovers } from '../common/rows/drop.js'
import { persistPayload } from '../common/state/payload-record.js'
import { casRow, deleteRow, getRow } from '../common/state/row-store.js'
import { blockEntry, newPayloadState, type TierState } from '../common/state/tier-state.js'
import { FlushJournal } from './flush-journal.js'
import type { FsBlockMedium } from './fs-block-medium.js'
import { BLOCK_EXT, type FsLayout, ID_SUFFIX, type PayloadPlace, STAGED_EXT } from './layout.js'
import { migrateLegacyDirs } from './migrate-layout.js'
import { PackSet } from './packs.js'
import { parsePlace } from './record-place.js'
import { replayJournal } from './recover-journal.js'
import { recoverRecordCopies } from './recover-packs.js'
import { isRenamedPathOf, promoteRenamed } from './recover-renamed.js'
import { coverRemoteRows } from './recover-sizes.js'
import { filesByStem, payloadIdOf } from './shard-names.js'

interface Tally {
  files: number
  bytes: number
  orphansDeleted: number
  revertedSyncing: number
  dirtyPromoted: number
  staleRowsFixed: number
  sizesExtended: number
  stagedPromoted: number
  renamedPromoted: number
  journalReplayed: number
  journalPayloadsRestored: number
  lostBlocks: string[]
}

/** Removes a file or a stray directory; gone already is fine. */
const RM = { recursive: true, force: true } as const

/** Decides what to do with one block file; true when it is kept. */
async function recoverFile(
  s: TierState,
  t: Tally,
  pid: string,
  idx: number,
  path: string,
  size: number,
): Promise<boolean> {
  const id = formatBlockId(pid, idx)
  const row = await getRow(s.metadata, id)
  if (row === undefined) {
    t.orphansDeleted++
    return false
  }
  // The row names a record in a pack (taken up before the walk): a file of the block is what
  // a spill left before the flush made the record its copy.
  if (
    parsePlace(row.localPath) !== undefined &&
    s.payloads.get(pid)?.blocks.get(idx)?.onMedium === true
  ) {
    t.orphansDeleted++
    return false
  }
  const asLocal = (r: FileBlock): FileBlock => ({
    ...r,
    // An interrupted upload may have recorded a hash and key it never confirmed.
    ...(r.state === BlockState.Syncing
      ? { hash: ContentHash.ZERO, blockStoreKey: '', chunkRoot: undefined }
      : {}),
    state: BlockState.Local,
    localPath: path,
    dataSize: size,
  })
  if (isRemote(row)) {
    // A cached copy of a remote block: kept only when the row names it and it is whole. A
    // file the row does not name may hold other bytes: the block's content before a copy
    // shared an object into it (share.ts), or a cache the row never took up; dropping a
    // cache costs a fetch, serving foreign bytes would be corruption.
    if (size === row.dataSize && row.localPath === path) return true
    // Moved into place by a rename whose last step (pointing the row at it) was cut short.
    if (size === row.dataSize && isRenamedPathOf(row.localPath, path)) {
      await casRow(s, id, (r) => (r ? { ...r, localPath: path } : r))
      return true
    }
    if (row.localPath !== '') {
      await casRow(s, id, (r) => (r ? { ...r, localPath: '' } : r))
      t.staleRowsFixed++
    }
    t.orphansDeleted++
    return false
  }
  if (row.state === BlockState.Dirty) t.dirtyPromoted++
  if (row.state === BlockState.Syncing) t.revertedSyncing++
  if (row.state !== BlockState.Local || row.localPath !== path || row.dataSize !== size) {
    await casRow(s, id, (r) => (r ? asLocal(r) : r))
  }
  return true
}

/**
 * Fixes rows of a walked payload that promise local bytes no file holds, and makes the
 * payload's size cover every block that keeps bytes. A block row is committed (and may be
 * uploaded and evicted) before the payload record learns the size its write reached; if the
 * record's smaller size won, the block's bytes past it would stay hidden until a later
 * extension (a truncate up, or a write merging into the block) exposed them where zeros were
 * acknowledged. Covering them instead shows an unacknowledged write whole, which a crash
 * before its flush allows.
 */
async function recoverRows(s: TierState, t: Tally, pid: string): Promise<void> {
  const p = s.payloads.get(pid)
  if (p === undefined) return
  for (const row of await s.metadata.listFileBlocks(pid)) {
    const at = parseBlockId(row.id)
    if (at === undefined) continue
    const kept =
      p.blocks.get(at.blockIdx)?.onMedium === true || (await fixRowWithoutFile(s, t, row))
    if (kept) p.size = Math.max(p.size, at.blockIdx * BlockSize + row.dataSize)
  }
}

/** Fixes a row whose block has no local file; true when the row (and its bytes) remain. */
async function fixRowWithoutFile(s: TierState, t: Tally, row: FileBlock): Promise<boolean> {
  if (isRemote(row)) {
    if (row.localPath === '') return true
    await casRow(s, row.id, (r) => (r ? { ...r, localPath: '' } : r))
    t.staleRowsFixed++
    return true
  }
  if (row.state === BlockState.Dirty) {
    // Never acknowledged: the bytes did not reach disk before the crash.
    await deleteRow(s, row.id)
    t.staleRowsFixed++
    return false
  }
  if (row.dataSize > 0) t.lostBlocks.push(row.id)
  return false
}

/**
 * Settles the staged files of a payload (see `stageOverwrite` in dirty.ts): one whose block row
 * is Dirty and names it holds the bytes of a whole-block overwrite committed before the kill,
 * and replaces the block file; any other is a leftover of a write that never committed.
 * `names` are the payload's file names after its stem; returns them as they are afterwards.
 */
async function promoteStaged(
  s: TierState,
  t: Tally,
  pid: string,
  place: PayloadPlace,
  names: readonly string[],
): Promise<string[]> {
  const left = new Set(names)
  for (const file of names) {
    if (!file.endsWith(STAGED_EXT)) continue
    left.delete(file)
    const path = place.prefix + file
    const idx = parseIndex(file.slice(0, -STAGED_EXT.length))
    const row = idx === undefined ? undefined : await getRow(s.metadata, formatBlockId(pid, idx))
    if (idx === undefined || row?.state !== BlockState.Dirty || row.localPath !== path) {
      t.orphansDeleted++
      await unlink(path)
      continue
    }
    const blockFile = `${idx}${BLOCK_EXT}`
    await rename(path, place.prefix + blockFile)
    // Before the row turns Local: a Local row must never name a file a power loss could undo.
    await fsyncPath(place.dir)
    left.add(blockFile)
    t.stagedPromoted++
  }
  return [...left]
}

/** Settles the files of one payload (`names`: after its stem) and takes up its blocks. */
async function recoverPayloadFiles(
  s: TierState,
  t: Tally,
  medium: FsBlockMedium,
  place: PayloadPlace,
  pid: string,
  names: readonly string[],
): Promise<void> {
  const p = s.payloads.get(pid) ?? newPayloadState(pid, 0, 'none')
  s.payloads.set(pid, p)
  medium.adoptPayload(pid)
  const settled = await promoteStaged(s, t, pid, place, names)
  for (const file of await promoteRenamed(s, t, pid, place, settled)) {
    if (file === ID_SUFFIX && place.idFile !== undefined) continue
    const path = place.prefix + file
    const idx = file.endsWith(BLOCK_EXT) ? parseIndex(file.slice(0, -BLOCK_EXT.length)) : undefined
    const st = await stat(path)
    if (idx !== undefined) t.files++
    if (idx === undefined || !(await recoverFile(s, t, pid, idx, path, st.size))) {
      if (idx === undefined) t.orphansDeleted++
      await rm(path, RM)
      continue
    }
    const e = blockEntry(p, idx)
    e.onMedium = true
    e.mediumSize = e.dataSize = st.size
    e.lastAccess = st.mtimeMs
    s.counters.diskUsed += st.size
    t.bytes += st.size
    p.size = Math.max(p.size, idx * BlockSize + st.size)
  }
}

/** Walks the store directory and rebuilds state and rows; returns the report. */
export async function recover(
  s: TierState,
  medium: FsBlockMedium,
  layout: FsLayout,
): Promise<RecoveryReport> {
  const started = performance.now()
  const t: Tally = {
    files: 0,
    bytes: 0,
    orphansDeleted: 0,
    revertedSyncing: 0,
    dirtyPromoted: 0,
    staleRowsFixed: 0,
    sizesExtended: 0,
    stagedPromoted: 0,
    renamedPromoted: 0,
    journalReplayed: 0,
    journalPayloadsRestored: 0,
    lostBlocks: [],
  }
  // First the directories of older formats, whose names neither the replay nor the walk know.
  t.orphansDeleted += (await migrateLegacyDirs(s, layout)).orphans
  // Then the journal: the walk below must see the files as the acknowledged flushes left them.
  const replay = await replayJournal(s, layout)
  t.journalReplayed = replay.replayed
  t.journalPayloadsRestored = replay.restored
  // Blocks whose copy is a record in a pack, before the walk meets any file of theirs.
  const packs = await PackSet.open(layout.packsDir)
  packs.serving(() => medium.servedGenerations())
  const packed = await recoverRecordCopies(s, medium, packs)
  t.staleRowsFixed += packed.cleared
  const walked = new Set<string>(packed.payloads)
  for (const shard of layout.shardDirs()) {
    for (const [stem, all] of await filesByStem(shard)) {
      // A name with no dot is no file of ours.
      if (all.includes('')) await rm(join(shard, stem), RM)
      const names = all.filter((n) => n !== '')
      if (names.length === 0) continue
      const pid = await payloadIdOf(layout, shard, stem)
      if (pid === undefined) {
        t.orphansDeleted += names.filter((n) => n.endsWith(BLOCK_EXT)).length
        for (const n of names) await rm(join(shard, `${stem}.${n}`), RM)
        continue
      }
      walked.add(pid)
      await recoverPayloadFiles(s, t, medium, layout.place(pid), pid, names)
    }
  }
  for (const pid of walked) {
    const p = s.payloads.get(pid)
    const record = await s.metadata.getPayload(pid)
    if (p !== undefined && record === undefined) {
      // Never flushed, or caught mid-delete (the record goes first): nothing of it was
      // acknowledged, so its files and rows are leftovers, not a payload.
      t.orphansDeleted += await purgeLeftovers(s, p)
      // Its ID file too, even with no block left: the source of a committed rename, or the
      // destination of one that never committed, may keep only that.
      await medium.removePayload(pid)
      p.gone = true
      s.payloads.delete(pid)
      continue
    }
    if (p !== undefined && record !== undefined) {
      p.size = Math.max(p.size, record.size)
      p.createdAt = record.createdAt
      p.modifiedAt = record.modifiedAt
      p.record = 'current'
    }
    await recoverRows(s, t, pid)
    // Recorded at once: the size never shrinks below bytes that are kept.
    if (p !== undefined && record !== undefined && p.size > record.size) {
      await persistPayload(s, p)
      t.sizesExtended++
    }
  }
  t.sizesExtended += await coverRemoteRows(s.metadata, walked)
  // Rows of payloads with no file left that still point into this store.
  const rows = [
    ...(await s.metadata.listLocalBlocks(0, 0)),
    ...(await s.metadata.listRemoteBlocks(0)),
  ]
  for (const row of rows) {
    const at = parseBlockId(row.id)
    if (at === undefined || walked.has(at.payloadId)) continue
    if (!row.localPath.startsWith(layout.blocksDir)) continue
    await fixRowWithoutFile(s, t, row)
  }
  // Without fsync nothing is promised across a crash, so there is nothing to journal.
  if (medium.durable) {
    // Retiring records also needs the metadata commits they speak for durable: journaled
    // flushes do not wait for them (see flush.ts).
    medium.journal = await FlushJournal.open(
      layout.journalDir,
      replay.lastGen,
      async (blocks) => {
        if (s.brokenResets > 0) {
          // A reset record whose live change failed half-way must be replayed by a reopen:
          // retiring it would make the half-changed state the durable one.
          throw new BlockStoreError(
            'BS_UNAVAILABLE',
            'a replacement was not applied; reopen the store',
          )
        }
        await medium.makeDurable(blocks)
        await s.metadata.sync?.()
      },
      packs,
    )
  }
  return { ...t, durationMs: performance.now() - started }
}
