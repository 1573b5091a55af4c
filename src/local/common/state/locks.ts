/**
 * The local tier's one locking protocol. Every operation takes its locks through this module,
 * always in this order, so no two operations can wait on each other in a circle:
 *
 * 1. Payload locks (a readers-writer lock per payload): shared for reads, writes, flushes and
 *    block operations; exclusive for truncate, delete, reset and rename. A rename holds two,
 *    taken in ID order ({@link lockPayloadPair}).
 * 2. The payload's flush lock ({@link withFlushLock}): one flush of a payload at a time.
 * 3. Block locks (a FIFO mutex per block), one at a time, or every block of the payloads a
 *    rename holds exclusively, in index order ({@link lockBlocks}).
 *
 * Work that may run while its caller holds any of these (eviction and spilling to make room,
 * compaction of packs) only tries a lock ({@link tryLockBlock}), never waits for one: the
 * holder may be the caller itself. A holder that finds its entry gone (dropped while it
 * waited) retries with a fresh entry or gives up. Every release of a block lock wakes writers
 * waiting for memory: the block's buffer may be spillable now.
 */
import type { AbortOptions } from '../../../core/abort.js'
import {
  type BlockEntry,
  blockEntry,
  newPayloadState,
  type PayloadState,
  type TierState,
  wakeMemoryWaiters,
} from './tier-state.js'

/**
 * Clears what an earlier life of a payload ID left (rows and copies of a payload that crashed
 * before its first flush, or during its delete), before a new payload of that ID is used; its
 * holes would otherwise read the old bytes. Given by operations that may create the payload
 * (the rows room's `purgeLeftovers`); the caller holds the payload's exclusive lock.
 */
export type Purge = (s: TierState, p: PayloadState, options?: AbortOptions) => Promise<unknown>

/** The payload's state, loaded from its record when not in memory; created when asked. */
export async function loadPayload(
  s: TierState,
  payloadId: string,
  create: Purge | false,
  options?: AbortOptions,
): Promise<PayloadState | undefined> {
  return (await loadState(s, payloadId, create, options)).p
}

/** {@link loadPayload}, saying whether this call created the payload (it existed nowhere). */
async function loadState(
  s: TierState,
  payloadId: string,
  create: Purge | false,
  options?: AbortOptions,
): Promise<{ p: PayloadState | undefined; created: boolean }> {
  const known = s.payloads.get(payloadId)
  if (known !== undefined) return { p: known, created: false }
  let loading = s.loading.get(payloadId)
  if (loading === undefined) {
    loading = (async () => {
      try {
        const record = await s.metadata.getPayload(payloadId, options)
        if (record === undefined) return undefined
        const p =
          s.payloads.get(payloadId) ?? newPayloadState(payloadId, record.size, 'current', s.now())
        p.createdAt = record.createdAt
        p.modifiedAt = record.modifiedAt
        s.payloads.set(payloadId, p)
        return p
      } finally {
        s.loading.delete(payloadId)
      }
    })()
    s.loading.set(payloadId, loading)
  }
  const loaded = await loading
  if (loaded !== undefined || create === false) {
    return { p: loaded ?? s.payloads.get(payloadId), created: false }
  }
  const existing = s.payloads.get(payloadId)
  if (existing !== undefined) return { p: existing, created: false }
  const p = newPayloadState(payloadId, 0, 'none', s.now())
  s.payloads.set(payloadId, p)
  // A payload without a record has no acknowledged state, but rows of an earlier life may
  // remain (a crash before its first flush, or during its delete): purge them before anyone
  // uses the new payload, or its holes would read old bytes. Taken before any await, the
  // write lock queues every other user of `p` behind the purge.
  const release = await p.lock.write()
  try {
    await create(s, p, options)
  } finally {
    release()
  }
  return { p, created: true }
}

/**
 * Runs `fn` under the payload's lock; `fn` gets `undefined` when the payload is unknown and
 * `create` is false (given, it purges what an earlier life of the ID left, see {@link Purge}). Retries when the payload was deleted while waiting for the lock.
 * `created` tells `fn` that the payload existed nowhere before this call: its leftover rows
 * were purged, so every row it has now belongs to an entry in `p.blocks` (entries leave that
 * map only with their rows, see dropBlock).
 */
export async function withPayload<T>(
  s: TierState,
  payloadId: string,
  mode: 'shared' | 'exclusive',
  create: Purge | false,
  fn: (p: PayloadState | undefined, created: boolean) => Promise<T>,
  options?: AbortOptions,
): Promise<T> {
  for (;;) {
    const { p, created } = await loadState(s, payloadId, create, options)
    if (p === undefined) return fn(undefined, false)
    const release = mode === 'exclusive' ? await p.lock.write() : await p.lock.read()
    try {
      if (p.gone) continue
      if (p.broken !== undefined) throw p.broken
      options?.signal?.throwIfAborted()
      return await fn(p, created)
    } finally {
      release()
    }
  }
}

/** Takes the exclusive locks of two payloads in ID order; returns the release of both. */
export async function lockPayloadPair(a: PayloadState, b: PayloadState): Promise<() => void> {
  const [first, second] = a.id < b.id ? [a, b] : [b, a]
  const releaseFirst = await first.lock.write()
  try {
    const releaseSecond = await second.lock.write()
    return () => {
      releaseSecond()
      releaseFirst()
    }
  } catch (err) {
    releaseFirst()
    throw err
  }
}

/** Runs `fn` under the payload's flush lock (its payload lock held). */
export async function withFlushLock<T>(p: PayloadState, fn: () => Promise<T>): Promise<T> {
  const release = await p.flushLock.lock()
  try {
    return await fn()
  } finally {
    release()
  }
}

/** Waits for the payload's flush lock; resolves to its release. */
export function lockFlush(p: PayloadState): Promise<() => void> {
  return p.flushLock.lock()
}

/** The payload's flush lock only when free (never waits); `undefined` when held. */
export function tryFlushLock(p: PayloadState): (() => void) | undefined {
  return p.flushLock.tryLock()
}

/** Shared access to a payload only when no writer holds or awaits it (never waits). */
export function tryPayloadRead(p: PayloadState): (() => void) | undefined {
  return p.lock.tryRead()
}

/** Waits for a block's lock; its release wakes writers waiting for memory. */
export async function lockBlock(s: TierState, e: BlockEntry): Promise<() => void> {
  return waking(s, await e.lock.lock())
}

/** A block's lock only when free (never waits); `undefined` when held. */
export function tryLockBlock(s: TierState, e: BlockEntry): (() => void) | undefined {
  const release = e.lock.tryLock()
  return release === undefined ? undefined : waking(s, release)
}

function waking(s: TierState, release: () => void): () => void {
  return () => {
    release()
    wakeMemoryWaiters(s)
  }
}

/** Runs `fn` under the block's lock, retrying with a fresh entry when it was dropped meanwhile. */
export async function withBlock<T>(
  s: TierState,
  p: PayloadState,
  idx: number,
  fn: (e: BlockEntry) => Promise<T>,
): Promise<T> {
  for (;;) {
    const e = blockEntry(p, idx)
    const release = await lockBlock(s, e)
    try {
      if (!e.gone) return await fn(e)
    } finally {
      release()
    }
  }
}

/**
 * Runs `fn` under the lock of an entry the caller already holds a reference to, unless the
 * block is gone by the time the lock is held (then `undefined`: nothing left to do for it).
 */
export async function whileLocked<T>(
  s: TierState,
  e: BlockEntry,
  fn: () => Promise<T>,
): Promise<T | undefined> {
  const release = await lockBlock(s, e)
  try {
    return e.gone ? undefined : await fn()
  } finally {
    release()
  }
}

/** {@link whileLocked} without waiting: `undefined` also when the lock is held. */
export async function tryWhileLocked<T>(
  s: TierState,
  e: BlockEntry,
  fn: () => Promise<T>,
): Promise<T | undefined> {
  const release = tryLockBlock(s, e)
  if (release === undefined) return undefined
  try {
    return e.gone ? undefined : await fn()
  } finally {
    release()
  }
}

/**
 * Takes the locks of every block of two payloads whose exclusive locks the caller holds, in
 * index order; returns the release of all.
 */
export async function lockBlocks(
  s: TierState,
  payloads: readonly PayloadState[],
): Promise<() => void> {
  const releases: (() => void)[] = []
  const entries = payloads.flatMap((p) => [...p.blocks.values()].sort((a, b) => a.idx - b.idx))
  const releaseAll = (): void => {
    for (const r of releases.reverse()) r()
  }
  try {
    for (const e of entries) releases.push(await lockBlock(s, e))
  } catch (err) {
    releaseAll()
    throw err
  }
  return releaseAll
}

/**
 * Runs `fn` under the lock of a block of a known payload (payload lock shared); `missing` is
 * returned when the payload is unknown.
 */
export function onBlock<T>(
  s: TierState,
  payloadId: string,
  idx: number,
  missing: () => T,
  fn: (e: BlockEntry, p: PayloadState) => Promise<T>,
  options?: AbortOptions,
): Promise<T> {
  return withPayload(
    s,
    payloadId,
    'shared',
    false,
    async (p) => (p === undefined ? missing() : withBlock(s, p, idx, (e) => fn(e, p))),
    options,
  )
}
