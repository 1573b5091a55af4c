/**
 * `collectGarbage`: mark-and-sweep of the remote store against the metadata store.
 *
 * 1. Lock: one run at a time across every process and node sharing the metadata store
 *    (BS_BUSY otherwise; a dry run takes no lock and deletes nothing).
 * 2. Mark: stream every remote key referenced by any row into a compact {@link LiveSet}. Any
 *    error aborts the run before anything is deleted (fail closed).
 * 3. Leftovers: keys fenced by a run that died mid-deletion are deleted and unfenced.
 * 4. Sweep: delete unreferenced objects older than the grace period, each under a fence that
 *    the metadata store grants only while no row references the key (docs/gc.md).
 * 5. Reap: delete released rows (reference count 0) whose object is gone.
 */
import { debuglog } from 'node:util'
import type { AbortOptions } from '../core/abort.js'
import { BlockStoreError, isBlockStoreError } from '../core/errors.js'
import {
  DefaultGcGracePeriodMs,
  type GarbageCollectionOptions,
  type GarbageCollectionResult,
  MinGcGracePeriodMs,
} from '../core/gc.js'
import type { GcLock, MetadataStore } from '../core/metadata-store.js'
import type { RemoteStore } from '../core/remote-store.js'
import { GcRun } from './gc-run.js'
import { LiveSet } from './live-set.js'
import { reapReleasedRows } from './reap-rows.js'
import { deleteIfUnreferenced, sweep } from './sweep.js'

const log = debuglog('blockstore:gc')
const MARK_PROGRESS_EVERY = 100_000

/** Options of {@link collectGarbage}: the stores and the run options. */
export interface CollectGarbageOptions extends GarbageCollectionOptions {
  readonly metadata: MetadataStore
  readonly remote: RemoteStore
}

interface Settings {
  readonly prefix: string
  readonly dryRun: boolean
  readonly graceMs: number
  readonly maxDeletions: number
  readonly parallel: number
}

function invalid(message: string): BlockStoreError {
  return new BlockStoreError('BS_INVALID_CONFIG', message, { op: 'gc' })
}

function settings(o: GarbageCollectionOptions): Settings {
  const prefix = o.prefix ?? ''
  if (typeof prefix !== 'string') throw invalid('prefix must be a string')
  const graceMs = o.gracePeriodMs ?? DefaultGcGracePeriodMs
  if (!Number.isSafeInteger(graceMs) || graceMs < 0) {
    throw invalid(`gracePeriodMs must be a non-negative safe integer, got ${graceMs}`)
  }
  if (graceMs < MinGcGracePeriodMs && o.allowShortGrace !== true) {
    throw invalid(
      `gracePeriodMs ${graceMs} is under the 5 minute floor (allowShortGrace is for tests)`,
    )
  }
  const maxDeletions = o.maxDeletions ?? 0
  if (!Number.isSafeInteger(maxDeletions) || maxDeletions < 0) {
    throw invalid(`maxDeletions must be a non-negative safe integer, got ${maxDeletions}`)
  }
  const parallel = o.parallelDeletes ?? 8
  if (!Number.isSafeInteger(parallel) || parallel < 1 || parallel > 256) {
    throw invalid(`parallelDeletes must be 1..256, got ${parallel}`)
  }
  return { prefix, dryRun: o.dryRun === true, graceMs, maxDeletions, parallel }
}

/** Streams every referenced key into a live set; any failure aborts the run (fail closed). */
async function mark(metadata: MetadataStore, run: GcRun, options: AbortOptions): Promise<LiveSet> {
  const live = new LiveSet()
  try {
    for await (const key of metadata.referencedRemoteKeys(options)) {
      live.add(key)
      if (++run.counters.marked % MARK_PROGRESS_EVERY === 0) run.progress('mark')
    }
  } catch (err) {
    if (options.signal?.aborted || isBlockStoreError(err)) throw err
    throw new BlockStoreError('BS_UNAVAILABLE', `gc mark failed: ${(err as Error).message}`, {
      cause: err,
      op: 'gc',
      backend: metadata.backend,
    })
  }
  return live
}

/** Finishes deletions of a run that died between fence and unfence. */
async function finishLeftovers(
  lock: GcLock,
  remote: RemoteStore,
  run: GcRun,
  options: AbortOptions,
): Promise<boolean> {
  for (const key of await lock.fencedKeys(options)) {
    // A fenced key has no row referencing it and can gain none: deleting it again is safe.
    const info = await remote.statBlock(key, options)
    if (info === undefined) await lock.unfence(key, options)
    else if ((await deleteIfUnreferenced({ remote, run, options }, lock, info)) === 'fatal') {
      return false
    }
  }
  return true
}

/**
 * Deletes remote objects that no row references and that are older than the grace period.
 * @example
 * const result = await collectGarbage({ metadata, remote, dryRun: true })
 * @throws {BlockStoreError} BS_BUSY when another run holds the lock; BS_INVALID_CONFIG for bad
 * options; the mark's error (nothing deleted); `signal.reason` when aborted.
 */
export async function collectGarbage(
  options: CollectGarbageOptions,
): Promise<GarbageCollectionResult> {
  const s = settings(options)
  const { metadata, remote } = options
  const signalOnly: AbortOptions = { signal: options.signal }
  options.signal?.throwIfAborted()
  const run = new GcRun(s.dryRun, options.onProgress)
  const now = options.now ?? Date.now
  let lock: GcLock | undefined
  if (!s.dryRun) {
    lock = await metadata.tryAcquireGcLock(signalOnly)
    if (lock === undefined) {
      throw new BlockStoreError('BS_BUSY', 'another garbage collection run holds the lock', {
        op: 'gc',
        backend: metadata.backend,
      })
    }
  }
  // Taken before the mark: every object written since the run began is young.
  const cutoff = now() - s.graceMs
  try {
    const live = await mark(metadata, run, signalOnly)
    run.progress('mark')
    if (lock !== undefined && !(await finishLeftovers(lock, remote, run, signalOnly))) {
      run.counters.stoppedEarly = true
      return run.result()
    }
    await sweep({
      remote,
      lock,
      live,
      prefix: s.prefix,
      cutoff,
      maxDeletions: s.maxDeletions,
      parallel: s.parallel,
      run,
      options: signalOnly,
    })
    options.signal?.throwIfAborted()
    run.progress('sweep')
    if (!s.dryRun && run.counters.errors === 0) {
      await reapReleasedRows(metadata, remote, s.prefix, run, signalOnly)
      run.progress('reap')
    }
    const result = run.result()
    log('gc done: %o', result)
    run.progress('done')
    return result
  } finally {
    await lock?.release()
  }
}
