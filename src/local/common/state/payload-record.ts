/**
 * The payload record: what flush and truncate store of a payload (size and times), and what
 * `statPayload` reports of one held in memory.
 */
import type { CommitOptions, PayloadRecord } from '../../../core/metadata-store.js'
import type { PayloadState, TierState } from './tier-state.js'

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
