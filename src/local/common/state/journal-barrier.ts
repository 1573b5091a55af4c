/**
 * The flush journal's barrier, for the tier's modules that change blocks durably by another
 * path than a journaled flush (its own module so that they need not import the flush path).
 */
import type { TierState } from './tier-state.js'

/**
 * Retires the flush journal's records of a payload, if it has any, before a change that does
 * not go through a journaled flush: a record left behind would otherwise be replayed over it
 * after a crash. Takes no tier lock, so callers may hold theirs.
 */
export async function settleJournal(s: TierState, payloadId: string): Promise<void> {
  const journal = s.medium.journal
  if (journal !== undefined) await journal.barrier(payloadId)
}
