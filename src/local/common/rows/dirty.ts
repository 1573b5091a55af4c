/**
 * A block's row between Dirty and Local, in one place: to Dirty before the block's first
 * write ({@link ensureDirty}, {@link commitDirty}, {@link storePendingRow}), back to Local
 * once its bytes are durable ({@link commitRow}).
 *
 * Moving a block's row to Dirty before its first write: by CAS (so neither another writer
 * nor an upload's commit silently overwrites the change), clearing hash and remote key (so
 * the new bytes are uploaded again instead of the row keeping the stale object), reporting
 * the dropped reference. A partial write into a block whose bytes only the remote has first
 * loads and stores them locally (so the bytes around the write are kept, not zeroed).
 */
import type { AbortOptions } from '../../../core/abort.js'
import { BlockState, type FileBlock, isRemote, newFileBlock } from '../../../core/block.js'
import { BlockStoreError } from '../../../core/errors.js'
import { ContentHash } from '../../../core/hash.js'
import type { FlushedBlock } from '../../../core/local-store.js'
import type { CommitOptions } from '../../../core/metadata-store.js'
import { withReservation } from '../space/disk.js'
import { settleJournal } from '../state/journal-barrier.js'
import { casRow, deleteRow, getRow, reportDropped } from '../state/row-store.js'
import { type BlockEntry, isResident, type TierState } from '../state/tier-state.js'
import { landStaged, type Staged, settleFailedCommit, stageOverwrite } from './staged.js'

/** The bytes a write will put into the block; `undefined` for a truncate cut. */
export interface WriteRange {
  readonly offset: number
  readonly length: number
  /** The bytes themselves (staged durably when they replace a block the remote cannot serve). */
  readonly data?: Uint8Array
}

function coversAll(range: WriteRange | undefined, dataSize: number): boolean {
  return range !== undefined && range.offset === 0 && range.length >= dataSize
}

/**
 * Loads a Remote block's bytes through the hook and stores them on the medium (fsynced on a
 * durable medium) so the acknowledged content survives a crash once the row turns Dirty.
 */
async function materialize(
  s: TierState,
  e: BlockEntry,
  row: FileBlock,
  options?: AbortOptions,
): Promise<void> {
  const load = s.hooks.loadRemoteBlock
  if (load === undefined) {
    throw new BlockStoreError(
      'BS_REMOTE_UNAVAILABLE',
      `block ${e.id} is only in the remote store and no loader was given`,
      { op: 'writeAt', payloadId: e.payloadId, blockIdx: e.idx, key: row.blockStoreKey },
    )
  }
  const data = await load(row, options?.signal)
  if (data.length !== row.dataSize) {
    throw new BlockStoreError(
      'BS_INTEGRITY_CHECK_FAILED',
      `block ${e.id}: loaded ${data.length} bytes, row says ${row.dataSize}`,
      { payloadId: e.payloadId, blockIdx: e.idx, key: row.blockStoreKey },
    )
  }
  await withReservation(
    s,
    data.length,
    async () => {
      await s.medium.replace(e.payloadId, e.idx, data)
      if (s.medium.durable) await s.medium.sync(e.payloadId, [e.idx], options)
    },
    { ...options, undo: () => s.medium.remove(e.payloadId, e.idx) },
  )
  e.onMedium = true
  e.mediumSize = data.length
  e.dataSize = data.length
  e.unsynced = false
}

/**
 * Makes the block's row Dirty (a no-op when it already is). Must hold the block lock. Returns
 * true when the write's bytes already landed on the medium (staged, see `stageOverwrite`).
 * @throws {BlockStoreError} BS_REMOTE_UNAVAILABLE when remote bytes are needed and cannot be
 * loaded (nothing changed); BS_INTEGRITY_CHECK_FAILED when the row promises lost local bytes.
 */
export async function ensureDirty(
  s: TierState,
  e: BlockEntry,
  range: WriteRange | undefined,
  options?: AbortOptions,
): Promise<boolean> {
  if (e.dirtyRow !== undefined) return false
  const prepared = await prepare(s, e, range, options)
  if (prepared.row === undefined && s.buffered && !e.onMedium && e.buf === null) {
    // A new block: its bytes go to a buffer, so its row can wait (see `dirtyRowPending`).
    e.dirtyRow = newFileBlock(e.id, s.medium.localPath(e.payloadId, e.idx), s.now())
    e.dirtyRowPending = true
    return false
  }
  // Bytes that only the remote held come back into play: a flush journal record older than
  // them must not be replayed over them after a crash.
  if (prepared.row !== undefined && isRemote(prepared.row)) await settleJournal(s, e.payloadId)
  const staged = prepared.staged
  const dataSize = staged?.data.length ?? e.dataSize
  const { stored, previous } = await commitDirty(s, e, dataSize, staged, options, prepared.row)
  e.dirtyRow = stored
  if (staged !== undefined) await landStaged(s, e, staged)
  await reportDropped(s, previous)
  return staged !== undefined
}

/**
 * Stores a new block's pending Dirty row before its bytes first reach the medium, so the live
 * tier has a row for the file. Must hold the block lock.
 *
 * Not waited for to be durable: the block had no row, so no acknowledged byte depends on this
 * one. A kill that loses it leaves a file with no row, which recovery deletes as a leftover of
 * an unacknowledged write, and any later durable commit (the flush that acknowledges the bytes)
 * makes it durable with it, as commits become durable in order. One WAL sync less per spilled
 * block and per block a replacement stages.
 */
export async function storePendingRow(
  s: TierState,
  e: BlockEntry,
  options?: AbortOptions,
): Promise<void> {
  if (!e.dirtyRowPending) return
  const { stored, previous } = await commitDirty(s, e, e.dataSize, undefined, {
    ...options,
    deferSync: true,
  })
  e.dirtyRow = stored
  e.dirtyRowPending = false
  // A row that appeared meanwhile and held a remote reference: its replacement must be
  // durable before that reference is given up.
  if (previous !== undefined && previous.blockStoreKey !== '') await s.metadata.sync?.()
  await reportDropped(s, previous)
}

/**
 * Commits the block's row as Dirty (hash and remote key cleared) with `dataSize`, naming the
 * staged file when there is one: recovery promotes exactly that file. A staged commit that
 * reports a failure is settled by re-reading the row (it may have happened all the same, a
 * connection lost after it). `initial` is the row just read, if any (saves the first read).
 */
export async function commitDirty(
  s: TierState,
  e: BlockEntry,
  dataSize: number,
  staged: Staged | undefined,
  options?: CommitOptions,
  initial?: FileBlock,
): Promise<{ stored: FileBlock; previous: FileBlock | undefined }> {
  const localPath = staged?.path ?? s.medium.localPath(e.payloadId, e.idx)
  let result: Awaited<ReturnType<typeof casRow>>
  try {
    result = await casRow(
      s,
      e.id,
      (row) => {
        const now = s.now()
        return {
          ...(row ?? newFileBlock(e.id, localPath, now)),
          state: BlockState.Dirty,
          hash: ContentHash.ZERO,
          blockStoreKey: '',
          chunkRoot: undefined,
          localPath,
          dataSize,
          lastAccess: now,
        }
      },
      options,
      initial === undefined ? undefined : { row: initial },
    )
  } catch (err) {
    const committed = staged === undefined ? undefined : await settleFailedCommit(s, e, staged)
    if (committed === undefined) throw err
    result = { stored: committed, previous: initial }
  }
  const { stored, previous } = result
  if (stored === undefined) throw new Error(`unreachable: no Dirty row stored for ${e.id}`)
  return { stored, previous }
}

/**
 * Reads the row and brings the block's bytes local when the write needs them. Returns the
 * row read (so the first CAS needs no second read), and the write's bytes when they were staged.
 */
async function prepare(
  s: TierState,
  e: BlockEntry,
  range: WriteRange | undefined,
  options?: AbortOptions,
): Promise<{ row: FileBlock | undefined; staged?: Staged | undefined }> {
  const row = await getRow(s.metadata, e.id, options)
  if (row === undefined || isResident(e) || row.dataSize === 0) return { row }
  if (row.blockStoreKey !== '') {
    // Even a write covering the whole block loads the old bytes first when it can: the Dirty
    // row drops the remote reference, so a kill before the new bytes reach the medium would
    // otherwise leave a row with no bytes anywhere (a hole where acknowledged data was).
    try {
      await materialize(s, e, row, options)
      return { row }
    } catch (err) {
      if (!coversAll(range, row.dataSize) || options?.signal?.aborted === true) throw err
    }
    // The remote cannot serve them: stage the new bytes instead.
    const data = range?.data
    return {
      row,
      staged: data === undefined ? undefined : await stageOverwrite(s, e, data, options),
    }
  }
  if (coversAll(range, row.dataSize)) return { row }
  // A Dirty row without local bytes is a never-acknowledged leftover of a crash: a hole.
  if (row.state === BlockState.Dirty) return { row }
  throw new BlockStoreError(
    'BS_INTEGRITY_CHECK_FAILED',
    `block ${e.id} is ${row.state === BlockState.Local ? 'Local' : 'Syncing'} but its local copy is gone`,
    { payloadId: e.payloadId, blockIdx: e.idx },
  )
}

/**
 * Turns a block's Dirty row Local (or removes it when the block holds no bytes). Must hold the
 * block lock.
 */
export async function commitRow(
  s: TierState,
  e: BlockEntry,
  options?: CommitOptions,
): Promise<FlushedBlock | undefined> {
  const known = e.dirtyRow
  if (known === undefined) return undefined
  const pending = e.dirtyRowPending
  if (!isResident(e)) {
    // A write that failed after dirtying the row left no bytes: nothing to keep.
    // Durable at once even in a journaled flush: no record speaks for a block without bytes.
    if (!pending) await deleteRow(s, e.id, { signal: options?.signal })
    e.dirtyRow = undefined
    e.dirtyRowPending = false
    return undefined
  }
  const localPath = s.medium.localPath(e.payloadId, e.idx)
  await casRow(
    s,
    e.id,
    (row) => ({
      ...(row ?? known),
      state: BlockState.Local,
      localPath,
      dataSize: e.dataSize,
      lastAccess: s.now(),
    }),
    options,
    // A pending row was never stored: the commit creates it.
    { row: pending ? undefined : known },
  )
  e.dirtyRow = undefined
  e.dirtyRowPending = false
  return { blockIdx: e.idx, localPath, dataSize: e.dataSize }
}
