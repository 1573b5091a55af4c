/**
 * Flush: buffers to the medium, medium copies fsynced (files and directory entries), then
 * Dirty rows turned Local and the payload record stored. Only then does it return, so a kill
 * after it loses nothing (trap 42).
 */
import type { AbortOptions } from '../../core/abort.js'
import { BlockState } from '../../core/block.js'
import type { FlushedBlock } from '../../core/local-store.js'
import { spillLocked } from './buffers.js'
import { persistPayload, withPayload } from './payloads.js'
import { casRow, deleteRow } from './rows.js'
import { type BlockEntry, isResident, type PayloadState, type TierState } from './tier-state.js'

async function locked<T>(e: BlockEntry, fn: () => Promise<T>): Promise<T | undefined> {
  const release = await e.lock.lock()
  try {
    return e.gone ? undefined : await fn()
  } finally {
    release()
  }
}

/**
 * Turns a block's Dirty row Local (or removes it when the block holds no bytes). Must hold the
 * block lock.
 */
export async function commitRow(
  s: TierState,
  e: BlockEntry,
  options?: AbortOptions,
): Promise<FlushedBlock | undefined> {
  const known = e.dirtyRow
  if (known === undefined) return undefined
  if (!isResident(e)) {
    // A write that failed after dirtying the row left no bytes: nothing to keep.
    await deleteRow(s.metadata, e.id, options)
    e.dirtyRow = undefined
    return undefined
  }
  const localPath = s.medium.localPath(e.payloadId, e.idx)
  await casRow(
    s.metadata,
    e.id,
    (row) => ({
      ...(row ?? known),
      state: BlockState.Local,
      localPath,
      dataSize: e.dataSize,
      lastAccess: s.now(),
    }),
    options,
    { row: known },
  )
  e.dirtyRow = undefined
  return { blockIdx: e.idx, localPath, dataSize: e.dataSize }
}

/** Flushes one payload whose lock is held. */
export async function flushPayload(
  s: TierState,
  p: PayloadState,
  options?: AbortOptions,
): Promise<FlushedBlock[]> {
  const entries = [...p.blocks.values()].sort((a, b) => a.idx - b.idx)
  for (const e of entries) {
    if (e.buf !== null) await locked(e, () => spillLocked(s, e, options))
  }
  const unsynced = entries.filter((e) => e.unsynced && e.onMedium && !e.gone)
  const generations = new Map(unsynced.map((e) => [e, e.writeGen]))
  await s.medium.sync(
    p.id,
    unsynced.map((e) => e.idx),
    options,
  )
  // A write that landed during the fsync keeps its block unsynced for the next flush.
  for (const [e, gen] of generations) if (e.writeGen === gen) e.unsynced = false
  const flushed: FlushedBlock[] = []
  for (const e of entries) {
    if (e.dirtyRow === undefined) continue
    const done = await locked(e, () => commitRow(s, e, options))
    if (done !== undefined) flushed.push(done)
  }
  await persistPayload(s, p, options)
  return flushed
}

/** Flushes a payload (unknown payloads flush nothing). */
export function flush(
  s: TierState,
  payloadId: string,
  options?: AbortOptions,
): Promise<FlushedBlock[]> {
  return withPayload(
    s,
    payloadId,
    'shared',
    false,
    async (p) => (p === undefined ? [] : flushPayload(s, p, options)),
    options,
  )
}

/** Writes a payload's buffers to the medium without fsync (rows stay Dirty). */
export function releaseMemory(
  s: TierState,
  payloadId: string,
  options?: AbortOptions,
): Promise<void> {
  return withPayload(
    s,
    payloadId,
    'shared',
    false,
    async (p) => {
      for (const e of p?.blocks.values() ?? []) {
        if (e.buf !== null) await locked(e, () => spillLocked(s, e, options))
      }
    },
    options,
  )
}
