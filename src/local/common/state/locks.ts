/**
 * Payload bookkeeping: loading a payload's size from the metadata store on first use, and
 * running an operation under the payload's lock (shared for reads and writes, exclusive for
 * truncate and delete).
 */
import type { AbortOptions } from '../../../core/abort.js'
import type { CommitOptions, PayloadRecord } from '../../../core/metadata-store.js'
import { newPayloadState, type PayloadState, type TierState } from './tier-state.js'
import { purgeLeftovers } from '../ops/truncate.js'

/** The payload's state, loaded from its record when not in memory; created when asked. */
export async function loadPayload(
  s: TierState,
  payloadId: string,
  create: boolean,
  options?: AbortOptions,
): Promise<PayloadState | undefined> {
  return (await loadState(s, payloadId, create, options)).p
}

/** {@link loadPayload}, saying whether this call created the payload (it existed nowhere). */
async function loadState(
  s: TierState,
  payloadId: string,
  create: boolean,
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
        const p = s.payloads.get(payloadId) ?? newPayloadState(payloadId, record.size, 'current')
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
  if (loaded !== undefined || !create) {
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
    await purgeLeftovers(s, p, options)
  } finally {
    release()
  }
  return { p, created: true }
}

/**
 * Runs `fn` under the payload's lock; `fn` gets `undefined` when the payload is unknown and
 * `create` is false. Retries when the payload was deleted while waiting for the lock.
 * `created` tells `fn` that the payload existed nowhere before this call: its leftover rows
 * were purged, so every row it has now belongs to an entry in `p.blocks` (entries leave that
 * map only with their rows, see dropBlock).
 */
export async function withPayload<T>(
  s: TierState,
  payloadId: string,
  mode: 'shared' | 'exclusive',
  create: boolean,
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

/** The payload record as stored by flush and truncate. */
export async function persistPayload(
  s: TierState,
  p: PayloadState,
  options?: CommitOptions,
): Promise<void> {
  const stored = { size: p.size, modifiedAt: p.modifiedAt }
  await s.metadata.putPayload(
    { id: p.id, size: p.size, createdAt: p.createdAt, modifiedAt: p.modifiedAt },
    options,
  )
  // Unless it changed again meanwhile (a write racing this flush).
  if (p.size === stored.size && p.modifiedAt === stored.modifiedAt) p.record = 'current'
  else if (p.record === 'none') p.record = 'stale'
}

/**
 * What {@link LocalStore.statPayload} reports of a payload in memory: its stored record's times
 * while that record is current, else modified now (changed since its last flush).
 */
export function payloadStat(s: TierState, p: PayloadState | undefined): PayloadRecord | undefined {
  if (p === undefined) return undefined
  const modifiedAt = p.record === 'current' ? p.modifiedAt : s.now()
  return { id: p.id, size: p.size, createdAt: p.createdAt, modifiedAt }
}
