/**
 * Garbage collection types: options, progress and result of a mark-and-sweep run over the
 * remote store (the algorithm lives in src/gc; see docs/gc.md).
 */
import type { AbortOptions } from './abort.js'

/** Default grace period: objects younger than this are never deleted (1 hour). */
export const DefaultGcGracePeriodMs = 60 * 60 * 1000
/** Smallest grace period accepted without `allowShortGrace` (5 minutes). */
export const MinGcGracePeriodMs = 5 * 60 * 1000

/** Options of a garbage collection run. */
export interface GarbageCollectionOptions extends AbortOptions {
  /** Only remote objects whose key starts with this string (plain string prefix); default all. */
  readonly prefix?: string | undefined
  /** Count what would be deleted, delete nothing (no lock, no fence). */
  readonly dryRun?: boolean | undefined
  /** Stop after this many orphans (0 or absent: unlimited). */
  readonly maxDeletions?: number | undefined
  /** Objects modified less than this long ago are kept (default 1 h, floor 5 min). */
  readonly gracePeriodMs?: number | undefined
  /** Accept a grace period under 5 minutes (tests only). */
  readonly allowShortGrace?: boolean | undefined
  /** Deletions in flight at once (default 8). */
  readonly parallelDeletes?: number | undefined
  /** Called with a snapshot of the counters after each phase and every 1000 scanned objects. */
  readonly onProgress?: ((progress: GarbageCollectionProgress) => void) | undefined
  /** Clock (ms since the epoch) used for the grace period, for tests. */
  readonly now?: (() => number) | undefined
}

/** Phase of a run reported by progress callbacks. */
export type GarbageCollectionPhase = 'mark' | 'sweep' | 'reap' | 'done'

/** Counters of a run (the result, and the progress snapshots while it runs). */
export interface GarbageCollectionResult {
  readonly dryRun: boolean
  /** Remote keys referenced by rows, as streamed by the mark phase. */
  readonly marked: number
  /** Remote objects listed under the prefix. */
  readonly objectsScanned: number
  /** Listed objects that some row references (kept). */
  readonly referenced: number
  /** Unreferenced objects younger than the grace period (kept). */
  readonly young: number
  /** Unreferenced objects past the grace period (deleted unless dry run). */
  readonly orphaned: number
  /** Listed sizes of the orphans. */
  readonly bytesOrphaned: number
  /** Candidates found referenced by the fenced re-check (a row appeared during the run; kept). */
  readonly raced: number
  /** Objects deleted. */
  readonly deleted: number
  /** Listed sizes of the deleted objects (real sizes, never an estimate). */
  readonly bytesReclaimed: number
  /** Rows released by their owner (reference count 0) whose object is gone, deleted. */
  readonly rowsReaped: number
  /** Failures (deletion, listing, fence); each also in `errorSamples` (first 20). */
  readonly errors: number
  readonly errorSamples: readonly string[]
  /** True when the run stopped at `maxDeletions` or on a sweep error. */
  readonly stoppedEarly: boolean
  readonly durationMs: number
}

/** A progress snapshot. */
export interface GarbageCollectionProgress extends GarbageCollectionResult {
  readonly phase: GarbageCollectionPhase
}
