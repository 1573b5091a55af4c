/**
 * Payload rename: `dst` becomes what `src` is, in one metadata commit.
 *
 * Under both payloads' exclusive locks (taken in ID order) and every block lock: `src` is
 * flushed, each of its local block copies is linked into `dst`'s place under a name of its own
 * (`<idx>.<token>.ren` on disk) and that entry fsynced, then `MetadataStore.renamePayload` moves the
 * rows, naming the linked copies, and the record in one transaction. Only after that commit are
 * the linked copies renamed over `dst`'s block files and the rows pointed at them.
 *
 * A kill before the commit leaves `dst` untouched (the linked copies are named by no row and
 * recovery deletes them); a kill after it leaves rows that name linked copies, which recovery
 * moves into place before anything reads them. A row only ever names a file in its own
 * payload's directory, so recovery never has to look into another payload's directory.
 */
import type { AbortOptions } from '../../../core/abort.js'
import { BlockState, isRemote } from '../../../core/block.js'
import { BlockStoreError } from '../../../core/errors.js'
import { formatBlockId, parseBlockId } from '../../../core/keys.js'
import { purgeLeftovers } from '../rows/drop.js'
import { settle } from '../space/disk.js'
import { freeBuffer } from '../space/memory.js'
import { settleJournal } from '../state/journal-barrier.js'
import { loadPayload, lockBlocks, lockPayloadPair } from '../state/locks.js'
import { casRow } from '../state/row-store.js'
import {
  type BlockEntry,
  blockEntry,
  isResident,
  type PayloadState,
  type TierState,
} from '../state/tier-state.js'
import { flushPayload } from './flush.js'

/** Attempts when an upload keeps changing the source's rows between listing and commit. */
const MAX_ATTEMPTS = 16

/** Renames `src` onto `dst` (both valid and different). */
export async function renamePayload(
  s: TierState,
  src: string,
  dst: string,
  options?: AbortOptions,
): Promise<void> {
  for (;;) {
    const ps = await loadPayload(s, src, false, options)
    if (ps === undefined) {
      throw new BlockStoreError('BS_CONTENT_NOT_FOUND', `payload ${src} does not exist`, {
        payloadId: src,
        op: 'rename',
      })
    }
    const hadState = s.payloads.has(dst)
    const pd = await loadPayload(s, dst, purgeLeftovers, options)
    if (pd === undefined) continue
    const created = !hadState && pd.record === 'none'
    const release = await lockPayloadPair(ps, pd)
    try {
      if (ps.gone || pd.gone) continue
      try {
        options?.signal?.throwIfAborted()
        await settleJournal(s, ps.id)
        await settleJournal(s, pd.id)
        await renameLocked(s, ps, pd, options)
        return
      } catch (err) {
        // A destination this call brought into being must not outlive a failed rename.
        if (created && !pd.gone && pd.record === 'none' && pd.blocks.size === 0) {
          pd.gone = true
          s.payloads.delete(dst)
          await s.medium.removePayload(dst).catch(() => {})
        }
        throw err
      }
    } finally {
      release()
    }
  }
}

async function renameLocked(
  s: TierState,
  ps: PayloadState,
  pd: PayloadState,
  options?: AbortOptions,
): Promise<void> {
  await flushPayload(s, ps, options)
  for (let attempt = 1; ; attempt++) {
    const release = await lockBlocks(s, [ps, pd])
    try {
      const linked = await linkAndCommit(s, ps, pd, options)
      if (linked !== undefined) {
        await settleRename(s, ps, pd, linked)
        return
      }
    } finally {
      release()
    }
    // An upload claimed or committed a source row meanwhile: read the rows again.
    if (attempt >= MAX_ATTEMPTS) {
      throw new BlockStoreError('BS_CONCURRENT_MODIFICATION', `payload ${ps.id} keeps changing`, {
        payloadId: ps.id,
        op: 'rename',
      })
    }
  }
}

/**
 * Links `src`'s local copies into `dst`'s place and commits the metadata rename. Returns the
 * linked paths by block index, or `undefined` when the source's rows changed before the commit
 * (nothing committed, links removed).
 */
async function linkAndCommit(
  s: TierState,
  ps: PayloadState,
  pd: PayloadState,
  options?: AbortOptions,
): Promise<Map<number, string> | undefined> {
  const expectedVersions = new Map<number, number>()
  const localPaths = new Map<number, string>()
  const linked = new Map<number, string>()
  let committed = false
  try {
    for (const row of await s.metadata.listFileBlocks(ps.id, options)) {
      const idx = parseBlockId(row.id)?.blockIdx
      if (idx === undefined) continue
      expectedVersions.set(idx, row.version)
      const e = ps.blocks.get(idx)
      if (e !== undefined && isResident(e)) {
        const path = await s.medium.linkRenamed(ps.id, pd.id, idx, options)
        linked.set(idx, path)
        localPaths.set(idx, path)
      } else if (!isRemote(row)) {
        // Reading it raises the same error: a rename must not turn lost bytes into zeros.
        throw new BlockStoreError(
          'BS_INTEGRITY_CHECK_FAILED',
          `block ${row.id} has no local bytes and is not remote`,
          { payloadId: ps.id, blockIdx: idx, op: 'rename' },
        )
      } else if (row.localPath !== '') {
        localPaths.set(idx, '')
      }
    }
    // The links' directory entries are durable before any row names them.
    await s.medium.sync(pd.id, [], options)
    committed = await s.metadata.renamePayload(ps.id, pd.id, {
      expectedVersions,
      localPaths,
      signal: options?.signal,
    })
  } finally {
    if (!committed) {
      for (const [idx, path] of linked) {
        await s.medium.discardRenamed(pd.id, idx, path).catch(() => {})
      }
    }
  }
  return committed ? linked : undefined
}

/**
 * After the commit: `dst`'s old bytes go, the linked copies take their place, `src`'s entries
 * become `dst`'s and `src` is forgotten. A linked copy that cannot be moved into place leaves
 * its block without local bytes here (reads fail, never serve old bytes) and named by its row,
 * so a restart moves it; the first such error is thrown once the state is consistent.
 */
async function settleRename(
  s: TierState,
  ps: PayloadState,
  pd: PayloadState,
  linked: ReadonlyMap<number, string>,
): Promise<void> {
  let failure: unknown
  for (const e of pd.blocks.values()) {
    freeBuffer(s, e)
    if (e.onMedium) {
      if (!linked.has(e.idx)) await s.medium.remove(pd.id, e.idx).catch((err) => (failure ??= err))
      settle(s, 0, -e.mediumSize)
    }
    e.gone = true
    e.dirtyRow = undefined
    e.dirtyRowPending = false
  }
  pd.blocks.clear()
  const placed = new Set<number>()
  for (const [idx, path] of linked) {
    try {
      await s.medium.commitRenamed(pd.id, idx, path)
      placed.add(idx)
    } catch (err) {
      failure ??= err
    }
  }
  try {
    // The renames are durable before the rows stop naming the linked copies.
    await s.medium.sync(pd.id, [])
  } catch (err) {
    failure ??= err
    placed.clear()
  }
  for (const e of ps.blocks.values()) {
    if (e.onMedium) {
      if (placed.has(e.idx)) adopt(blockEntry(pd, e.idx), e)
      else settle(s, 0, -e.mediumSize)
      // Only this name goes: the bytes live on under the destination's.
      await s.medium.remove(ps.id, e.idx).catch((err) => (failure ??= err))
    }
    e.gone = true
  }
  ps.blocks.clear()
  await s.medium.removePayload(ps.id).catch((err) => (failure ??= err))
  ps.gone = true
  s.payloads.delete(ps.id)
  pd.size = ps.size
  pd.createdAt = ps.createdAt
  pd.modifiedAt = ps.modifiedAt
  pd.record = 'current'
  for (const idx of placed) {
    const from = linked.get(idx)!
    const to = s.medium.localPath(pd.id, idx)
    if (from === to) continue
    try {
      // Not under an upload's claim: its snapshot would see a new version and give up, leaving
      // the row Syncing for good. Such a row keeps naming the link (reads go by index, and
      // recovery accepts that pairing).
      // Not waited for to be durable: recovery accepts the linked name as well.
      await casRow(
        s,
        formatBlockId(pd.id, idx),
        (r) =>
          r?.localPath === from && r.state !== BlockState.Syncing
            ? { ...r, localPath: to }
            : undefined,
        { deferSync: true },
      )
    } catch (err) {
      // Recovery accepts a block file whose row still names the linked copy.
      failure ??= err
    }
  }
  if (failure !== undefined) throw failure
}

/** Gives the destination's new entry the source entry's medium copy. */
function adopt(e: BlockEntry, from: BlockEntry): void {
  e.onMedium = true
  e.mediumSize = from.mediumSize
  e.dataSize = from.dataSize
  e.unsynced = false
  e.lastAccess = from.lastAccess
  e.accessSeq = from.accessSeq
  e.lastWrite = from.lastWrite
}
