/**
 * Disk space of a local tier: reservations against the cap, eviction of synced blocks
 * (LRU, TTL or pin; only rows that are Remote with a remote key), and bounded waiting.
 */
import type { AbortOptions } from '../../../core/abort.js'
import { type FileBlock, isRemote } from '../../../core/block.js'
import { BlockStoreError } from '../../../core/errors.js'
import { parseBlockId } from '../../../core/keys.js'
import { RetentionPolicy } from '../../../core/retention.js'
import { tryWhileLocked } from '../state/locks.js'
import { casRow } from '../state/row-store.js'
import type { BlockEntry, TierState } from '../state/tier-state.js'

const SPACE_POLL_MS = 20

/**
 * Sleeps `ms`, rejecting with the signal's reason when aborted. The timer is not unref'd: a
 * caller is awaiting it (foreground back-pressure, not background work).
 */
export function pause(ms: number, options?: AbortOptions): Promise<void> {
  const signal = options?.signal
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** True when eviction may run at all under the current policy and switch. */
function evictionPossible(s: TierState): boolean {
  if (!s.evictionEnabled || s.policy === RetentionPolicy.Pin) return false
  return !(s.policy === RetentionPolicy.TTL && s.ttlMs <= 0)
}

/**
 * Bytes counted against the disk cap: the blocks' copies and the medium's overhead (dead
 * records in packs take disk space until compaction gives it back).
 */
export function diskInUse(s: TierState): number {
  return s.counters.diskUsed + (s.medium.overheadBytes?.() ?? 0)
}

/**
 * Starts the medium's reclaim in the background unless one runs; true when one runs. Never
 * awaited by a reservation, whose caller may hold the locks the reclaim needs.
 */
function startReclaim(s: TierState): boolean {
  if (s.reclaim === undefined || (s.medium.overheadBytes?.() ?? 0) === 0) {
    return s.reclaiming !== undefined
  }
  s.reclaiming ??= s
    .reclaim()
    .catch(() => {})
    .finally(() => {
      s.reclaiming = undefined
    })
  return true
}

function storageFull(s: TierState, needed: number, why: string): BlockStoreError {
  s.counters.storageFullErrors++
  return new BlockStoreError(
    'BS_STORAGE_FULL',
    `local store full: ${needed} bytes needed, ${diskInUse(s)} of ${s.maxDisk} used (${why})`,
    { op: 'local', size: needed },
  )
}

/**
 * Reserves `bytes` under the disk cap, evicting synced blocks and then waiting up to
 * `spaceWaitMs` for space. Returns the reserved amount, to be given back with {@link settle}.
 * @throws {BlockStoreError} BS_STORAGE_FULL when no space can be made in time, or at once when
 * eviction is suspended or the policy is pin.
 */
export async function reserveDisk(
  s: TierState,
  bytes: number,
  options?: AbortOptions,
): Promise<number> {
  if (bytes <= 0 || s.maxDisk <= 0) return 0
  if (bytes > s.maxDisk) throw storageFull(s, bytes, 'larger than the cap')
  const deadline = performance.now() + s.spaceWaitMs
  let waited = false
  for (;;) {
    const c = s.counters
    const shortfall = diskInUse(s) + c.reserved + bytes - s.maxDisk
    if (shortfall <= 0) {
      c.reserved += bytes
      return bytes
    }
    // Compaction runs beside eviction: it keeps every block, eviction drops cached copies.
    const reclaiming = startReclaim(s)
    if (evictionPossible(s)) {
      if ((await evictBlocks(s, shortfall, options)) > 0) continue
    } else if (!reclaiming) {
      throw storageFull(s, bytes, 'eviction suspended or pinned')
    }
    const left = deadline - performance.now()
    if (left <= 0) throw storageFull(s, bytes, 'nothing evictable in time')
    if (!waited) {
      waited = true
      c.spaceWaits++
    }
    await pause(Math.min(SPACE_POLL_MS, left), options)
  }
}

/** Gives back a reservation and records the real change of the bytes on the medium. */
export function settle(s: TierState, reserved: number, delta: number): void {
  s.counters.reserved -= reserved
  s.counters.diskUsed += delta
}

/** How {@link withReservation} settles. */
export interface ReservationOptions extends AbortOptions {
  /** Bytes the medium gained when the I/O succeeded; default the bytes reserved. */
  readonly added?: number
  /**
   * Leave the reservation standing on success: `io` is handed its size and its owner settles
   * it later (a staged overwrite holds its bytes until the commit that lands or discards it).
   */
  readonly keep?: boolean
  /** Removes what a failed I/O may have left on the medium, before the error is rethrown. */
  readonly undo?: () => Promise<unknown>
}

/**
 * The one shape of every write that grows the medium: reserve `bytes` under the cap (see
 * {@link reserveDisk}), run the I/O, then settle: on success the bytes the medium gained, on
 * failure nothing (after `undo`). A reservation left standing on an error would shrink the cap
 * for good; settling before the I/O would let two writers overrun it.
 */
export async function withReservation<T>(
  s: TierState,
  bytes: number,
  io: (reserved: number) => Promise<T>,
  options?: ReservationOptions,
): Promise<T> {
  const reserved = await reserveDisk(s, bytes, options)
  let result: T
  try {
    result = await io(reserved)
  } catch (err) {
    settle(s, reserved, 0)
    await options?.undo?.()
    throw err
  }
  if (options?.keep !== true) settle(s, reserved, options?.added ?? bytes)
  return result
}

/** A candidate's entry, when this store holds a copy of it. */
function entryOf(s: TierState, row: FileBlock): BlockEntry | undefined {
  const at = parseBlockId(row.id)
  const e = at === undefined ? undefined : s.payloads.get(at.payloadId)?.blocks.get(at.blockIdx)
  return e?.onMedium ? e : undefined
}

/**
 * Evicts local copies of synced blocks, oldest access first, until `needed` bytes are free.
 * Blocks whose lock is held are skipped (never waited for: the caller may hold locks).
 * Returns the bytes freed.
 */
export async function evictBlocks(
  s: TierState,
  needed: number,
  options?: AbortOptions,
): Promise<number> {
  const now = s.now()
  const candidates: BlockEntry[] = []
  for (const row of await s.metadata.listRemoteBlocks(0, options)) {
    const e = entryOf(s, row)
    if (e === undefined) continue
    // The row's time seeds blocks untouched since open (recovery set it from the file).
    if (e.lastAccess === 0) e.lastAccess = row.lastAccess
    if (s.policy === RetentionPolicy.TTL && e.lastAccess >= now - s.ttlMs) continue
    candidates.push(e)
  }
  // Oldest access first; the sequence orders accesses within the same millisecond.
  candidates.sort((a, b) => a.lastAccess - b.lastAccess || a.accessSeq - b.accessSeq)
  let freed = 0
  for (const e of candidates) {
    if (freed >= needed) break
    freed += (await tryWhileLocked(s, e, () => evictLocked(s, e, options))) ?? 0
  }
  return freed
}

/**
 * Drops the medium copy of a block whose row is Remote with a key and that has no unflushed
 * change. The row loses its local path first (by CAS), then the copy is removed. Must hold
 * the block lock. Returns the bytes freed (0 when the block is not evictable).
 */
export async function evictLocked(
  s: TierState,
  e: BlockEntry,
  options?: AbortOptions,
): Promise<number> {
  if (e.gone || !e.onMedium || e.buf !== null || e.dirtyRow !== undefined) return 0
  const { stored } = await casRow(
    s,
    e.id,
    (row) =>
      row !== undefined && isRemote(row) && row.blockStoreKey !== '' && row.localPath !== ''
        ? { ...row, localPath: '' }
        : undefined,
    options,
  )
  if (stored === undefined) return 0
  await s.medium.remove(e.payloadId, e.idx)
  const size = e.mediumSize
  settle(s, 0, -size)
  e.onMedium = false
  e.mediumSize = 0
  e.dataSize = 0
  e.unsynced = false
  s.counters.evictions++
  s.counters.evictedBytes += size
  return size
}
