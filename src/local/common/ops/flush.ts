/**
 * Flush: the payload's bytes made durable, then Dirty rows turned Local and the payload record
 * stored. Only then does it return, so a kill after it loses nothing. Small blocks are made
 * durable by the medium's flush journal when it has one (journal-flush.ts); others by writing
 * buffers to the medium and fsyncing the copies (files and directory entries).
 */
import type { AbortOptions } from '../../../core/abort.js'
import type { FlushedBlock } from '../../../core/local-store.js'
import type { CommitOptions } from '../../../core/metadata-store.js'
import { StagingPayloadPrefix } from '../../../core/payload-id.js'
import { commitRow } from '../rows/dirty.js'
import { spillLocked } from '../rows/spill.js'
import { whileLocked, withFlushLock, withPayload } from '../state/locks.js'
import { persistPayload } from '../state/payload-record.js'
import type { BlockEntry, PayloadState, TierState } from '../state/tier-state.js'
import { awaitWriteBehind } from '../state/write-behind.js'
import { journalBlocks, journalRecords, makeUncoveredDurable } from './journal-flush.js'

function isStaging(payloadId: string): boolean {
  return payloadId.startsWith(StagingPayloadPrefix)
}

/**
 * Flushes one payload whose lock is held. Flushes of one payload run one at a time: a journaled
 * flush and a flush through the files racing on the same block could otherwise commit in one
 * order while recovery replays them in the other.
 */
export async function flushPayload(
  s: TierState,
  p: PayloadState,
  options?: AbortOptions,
): Promise<FlushedBlock[]> {
  return withFlushLock(p, () => flushLocked(s, p, options))
}

async function flushLocked(
  s: TierState,
  p: PayloadState,
  options?: AbortOptions,
): Promise<FlushedBlock[]> {
  const entries = [...p.blocks.values()].sort((a, b) => a.idx - b.idx)
  const staging = isStaging(p.id)
  const journal = s.medium.journal
  if (journal !== undefined) {
    if (p.resetJournaled === true && !settled(p, entries)) {
      // A reset record replayed with this flush's records would drop the blocks this flush
      // commits without a record of its own (see PayloadState.resetJournaled).
      await journal.barrier(p.id)
      p.resetJournaled = false
    }
    // A staging payload is flushed only to be renamed at once, and a rename must first retire
    // its source's records with a checkpoint (a syncfs and a new generation): fsyncing its few
    // files costs less. strace of 4 KiB replacements: 12 syncs each through the journal.
    const records = staging ? undefined : await journalRecords(s, p, entries, options)
    // Nothing to journal and nothing to commit: an idle flush costs nothing (and must not
    // force the checkpoint the barrier below would).
    if (records?.length === 0 && settled(p, entries)) return []
    // With records only. A flush with none still commits (a size reached by blocks that were
    // made Local at once, or uploaded and evicted since): nothing in the journal would speak
    // for that commit, so it must be durable itself, and no older record of this payload may
    // outlive it (a reset record replayed over it would cut the payload back).
    if (records !== undefined && records.length > 0) {
      const receipt = await journalBlocks(s, journal, entries, records, options)
      // The records carry everything this commit stores and recovery redoes it from them, so
      // the flush does not wait for the metadata store's own sync (a second fdatasync in
      // series on every small flush); the checkpoint that retires the records syncs it.
      const flushed = await commitFlush(s, p, entries, { ...options, deferSync: true })
      await makeUncoveredDurable(s, receipt, p.id, records, options)
      return flushed
    }
    // Through the files: no older record of this payload may outlive what this flush commits.
    await journal.barrier(p.id)
  }
  for (const e of entries) {
    if (e.buf !== null) await whileLocked(s, e, () => spillLocked(s, e, options))
  }
  // A block whose file is being synced in the background needs no second fsync queued
  // behind that one: once it finishes, the block is no longer unsynced.
  await awaitWriteBehind(s, entries)
  const unsynced = entries.filter((e) => e.unsynced && e.onMedium && !e.gone)
  const generations = new Map(unsynced.map((e) => [e, e.writeGen]))
  await s.medium.sync(
    p.id,
    unsynced.map((e) => e.idx),
    staging ? { ...options, names: false } : options,
  )
  // A write that landed during the fsync keeps its block unsynced for the next flush.
  for (const [e, gen] of generations) if (e.writeGen === gen) e.unsynced = false
  // A staging payload matters only once renamed, and the rename's commit, durable before it
  // returns, makes every earlier commit durable with it (commits become durable in order):
  // its rows need not wait for a sync of their own.
  return commitFlush(s, p, entries, staging ? { ...options, deferSync: true } : options)
}

/** True when a flush of these entries would commit nothing: no Dirty row, record current. */
function settled(p: PayloadState, entries: readonly BlockEntry[]): boolean {
  return p.record === 'current' && entries.every((e) => e.dirtyRow === undefined)
}

/**
 * Turns the flushed blocks' rows Local and stores the payload record, all at once: commits
 * issued together share the metadata store's sync (SQLite's WAL fdatasync) instead of paying
 * one each. A record already stored as it is now is not stored again: a replacement flushed
 * its staging payload, then had it flushed by the rename and its target flushed after it,
 * three record commits (and WAL syncs) of which two changed nothing.
 */
async function commitFlush(
  s: TierState,
  p: PayloadState,
  entries: readonly BlockEntry[],
  options?: CommitOptions,
): Promise<FlushedBlock[]> {
  const rows = entries
    .filter((e) => e.dirtyRow !== undefined)
    .map((e) => whileLocked(s, e, () => commitRow(s, e, options)))
  const record = p.record === 'current' ? undefined : persistPayload(s, p, options)
  const [done] = await Promise.all([Promise.all(rows), record])
  return done.filter((d): d is FlushedBlock => d !== undefined)
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
        if (e.buf !== null) await whileLocked(s, e, () => spillLocked(s, e, options))
      }
    },
    options,
  )
}
