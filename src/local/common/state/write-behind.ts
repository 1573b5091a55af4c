/**
 * Write-behind of whole blocks: once a full block's buffer has been written to its file, the
 * file's fsync starts in the background instead of waiting for the payload's flush.
 *
 * Why: a sequential writer fills one block after another and flushes at the end. Without
 * this, every block written before the flush sits in the page cache as dirty data and the
 * flush pays for writing all of it back at once (on the benchmark VM, 600-770 ms of a 1.2-1.9 s
 * 1 GiB write + flush), while a writer that syncs each file as it goes overlaps that write-back
 * with its own copying. A full block is rarely written again, so its sync is seldom wasted.
 *
 * It is only ever an extra sync: the block stays `unsynced` until a sync that started after
 * its last write has finished. A failure is kept on the block and the next flush fails with
 * it: after a failed fsync the kernel may have dropped the pages it could not write, so the
 * flush's own fsync succeeding would prove nothing. A flush waits for the write-behinds of its
 * blocks rather than queueing a second fsync of the same file behind them.
 */
import { BlockSize } from '../../../core/constants.js'
import type { BlockEntry, TierState } from './tier-state.js'

/** Background syncs at once: enough to keep the disk busy, few enough to leave the pool free. */
const IN_FLIGHT = 2

/**
 * Called after a block's buffer reached its file: queues the file's sync in the background
 * when the block is full (and the medium is durable).
 */
export function writeBehind(s: TierState, e: BlockEntry): void {
  const w = s.writeBehind
  if (w.stopped || !s.medium.durable || e.dataSize !== BlockSize || !e.unsynced) return
  w.queue.push({ e, gen: e.writeGen })
  drain(s)
}

function drain(s: TierState): void {
  const w = s.writeBehind
  while (w.running.size < IN_FLIGHT && !w.stopped) {
    const job = w.queue.shift()
    if (job === undefined) return
    const { e, gen } = job
    // Written again, dropped, synced by a flush or being synced already: nothing to do.
    if (e.gone || !e.unsynced || e.writeGen !== gen || w.running.has(e)) continue
    const run = s.medium.sync(e.payloadId, [e.idx], { names: false }).then(
      () => {
        if (e.writeGen === gen) e.unsynced = false
      },
      // Kept for the flush, which fails with it (see BlockEntry.syncError) and syncs again.
      (err: unknown) => {
        e.syncError ??= err
      },
    )
    w.running.set(e, run)
    void run.finally(() => {
      w.running.delete(e)
      drain(s)
    })
  }
}

/**
 * Waits for the running write-behinds of these blocks. Queued ones are left to the caller's
 * own sync: once it clears their `unsynced`, they are skipped.
 * @throws the error of a failed background sync of one of them (reported once: the block
 * stays unsynced, and the next flush syncs it again).
 */
export async function awaitWriteBehind(s: TierState, entries: Iterable<BlockEntry>): Promise<void> {
  const all = [...entries]
  const waits: Promise<void>[] = []
  for (const e of all) {
    const run = s.writeBehind.running.get(e)
    if (run !== undefined) waits.push(run)
  }
  await Promise.all(waits)
  for (const e of all) {
    if (e.syncError === undefined) continue
    const err = e.syncError
    e.syncError = undefined
    throw err
  }
}

/** Starts no more syncs and waits for those running (before the medium is closed). */
export async function stopWriteBehind(s: TierState): Promise<void> {
  const w = s.writeBehind
  w.stopped = true
  w.queue.length = 0
  await Promise.all([...w.running.values()])
}
