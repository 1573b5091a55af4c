/**
 * The sweep: lists the remote under the prefix and deletes each object that the mark did not
 * see, that is older than the grace period, and that the metadata store lets us fence (no row
 * references it at that instant). Deletions run a few at a time; every deletion is
 * fence → delete → unfence, so no row can gain a reference to the key in between.
 */
import type { AbortOptions } from '../core/abort.js'
import { formatChunkIndexKey, parseChunkIndexKey, parseContentKey } from '../core/keys.js'
import type { GcLock } from '../core/metadata-store.js'
import type { RemoteObjectInfo, RemoteStore } from '../core/remote-store.js'
import type { GcRun } from './gc-run.js'
import type { LiveSet } from './live-set.js'

/** What the sweep needs. */
export interface SweepContext {
  readonly remote: RemoteStore
  /** `undefined` in a dry run: candidates are only counted. */
  readonly lock: GcLock | undefined
  readonly live: LiveSet
  readonly prefix: string
  /** Objects modified after this instant (ms since the epoch) are young. */
  readonly cutoff: number
  /** 0: unlimited. */
  readonly maxDeletions: number
  readonly parallel: number
  readonly run: GcRun
  readonly options: AbortOptions
}

const PROGRESS_EVERY = 1000

/**
 * Deletes one fenced-unreferenced object. A fence failure stops the sweep (`fatal`): the
 * store can no longer prove a key dead. Delete failures are counted and the key unfenced
 * (whether or not the object went, a later reference re-checks it exists).
 *
 * A block object's chunk index goes with it, deleted first under the block's fence, so a
 * failed second delete leaves a block without its index (still readable whole, and its
 * index is rewritten by the next upload that shares it), never an index without a block
 * that nobody sweeps. An index whose block is already gone is deleted under the fence of its
 * block key, which is the key rows reference.
 */
export async function deleteIfUnreferenced(
  c: Pick<SweepContext, 'remote' | 'run' | 'options'>,
  lock: GcLock,
  obj: Pick<RemoteObjectInfo, 'key' | 'size'>,
): Promise<'deleted' | 'raced' | 'failed' | 'fatal'> {
  const fenceKey = parseChunkIndexKey(obj.key) ?? obj.key
  let fenced: boolean
  try {
    fenced = await lock.fenceUnreferenced(fenceKey, c.options)
  } catch (err) {
    c.run.error(`fence ${fenceKey}`, err)
    return 'fatal'
  }
  if (!fenced) return 'raced'
  try {
    if (fenceKey === obj.key && parseContentKey(obj.key) !== undefined) {
      await c.remote.deleteBlock(formatChunkIndexKey(obj.key), c.options)
    }
    await c.remote.deleteBlock(obj.key, c.options)
    c.run.counters.deleted++
    c.run.counters.bytesReclaimed += obj.size
    return 'deleted'
  } catch (err) {
    c.run.error(`delete ${obj.key}`, err)
    return 'failed'
  } finally {
    // Without the caller's signal: an aborted run must still lift its fences.
    await lock.unfence(fenceKey).catch((err: unknown) => c.run.error(`unfence ${fenceKey}`, err))
  }
}

/** Runs the sweep; resolves when every deletion it started has settled. */
export async function sweep(c: SweepContext): Promise<void> {
  const n = c.run.counters
  const inFlight = new Set<Promise<void>>()
  let fatal = false
  const start = (obj: RemoteObjectInfo, lock: GcLock): void => {
    const task = deleteIfUnreferenced(c, lock, obj).then((outcome) => {
      if (outcome === 'fatal') fatal = true
      if (outcome === 'raced' || outcome === 'fatal') {
        // Not an orphan after all (or unknown): take it back out of the counts.
        n.orphaned--
        n.bytesOrphaned -= obj.size
        if (outcome === 'raced') n.raced++
      }
    })
    inFlight.add(task)
    void task.finally(() => inFlight.delete(task))
  }
  // The block key listed last: its chunk index (the key plus a suffix) is listed right after
  // it and is dealt with together with it, never by a second, concurrent deletion under the
  // same fence (whose unfence could lift the fence while the block is being deleted).
  let previous = ''
  try {
    for await (const obj of c.remote.listObjects(c.prefix, c.options)) {
      const owner = parseChunkIndexKey(obj.key)
      if (owner === undefined) previous = obj.key
      // Not counted: an index right after its block is kept or deleted with it, so the
      // counters speak of blocks (an index whose block is gone counts as an object).
      else if (owner === previous) continue
      n.objectsScanned++
      if (n.objectsScanned % PROGRESS_EVERY === 0) c.run.progress('sweep')
      if (c.live.has(owner ?? obj.key)) n.referenced++
      else if (obj.lastModified > c.cutoff) n.young++
      else {
        if (c.maxDeletions > 0 && n.orphaned >= c.maxDeletions) {
          n.stoppedEarly = true
          break
        }
        n.orphaned++
        n.bytesOrphaned += obj.size
        if (c.lock !== undefined) start(obj, c.lock)
      }
      while (inFlight.size >= c.parallel) await Promise.race(inFlight)
      if (fatal) {
        n.stoppedEarly = true
        break
      }
    }
  } catch (err) {
    if (c.options.signal?.aborted) throw err
    c.run.error(`list ${JSON.stringify(c.prefix)}`, err)
    n.stoppedEarly = true
  } finally {
    await Promise.all(inFlight)
  }
  if (fatal) n.stoppedEarly = true
}
