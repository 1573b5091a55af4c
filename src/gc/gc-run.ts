/**
 * The mutable state of one garbage collection run: counters, error samples and progress
 * reporting, shared by the phases.
 */
import type {
  GarbageCollectionPhase,
  GarbageCollectionProgress,
  GarbageCollectionResult,
} from '../core/gc.js'

const MAX_ERROR_SAMPLES = 20

type Counters = {
  -readonly [K in keyof GarbageCollectionResult]: GarbageCollectionResult[K]
}

/** Counters of a run and its progress callback. */
export class GcRun {
  readonly counters: Omit<Counters, 'errorSamples' | 'durationMs'>
  readonly #samples: string[] = []
  readonly #t0 = performance.now()
  readonly #onProgress: ((p: GarbageCollectionProgress) => void) | undefined

  constructor(dryRun: boolean, onProgress?: (p: GarbageCollectionProgress) => void) {
    this.#onProgress = onProgress
    this.counters = {
      dryRun,
      marked: 0,
      objectsScanned: 0,
      referenced: 0,
      young: 0,
      orphaned: 0,
      bytesOrphaned: 0,
      raced: 0,
      deleted: 0,
      bytesReclaimed: 0,
      rowsReaped: 0,
      errors: 0,
      stoppedEarly: false,
    }
  }

  /** Counts a failure and keeps its message among the first samples. */
  error(what: string, err: unknown): void {
    this.counters.errors++
    if (this.#samples.length < MAX_ERROR_SAMPLES) {
      this.#samples.push(`${what}: ${err instanceof Error ? err.message : String(err)}`)
    }
  }

  /** A frozen copy of the counters. */
  result(): GarbageCollectionResult {
    return {
      ...this.counters,
      errorSamples: [...this.#samples],
      durationMs: performance.now() - this.#t0,
    }
  }

  /** Calls the progress callback (its errors abort the run). */
  progress(phase: GarbageCollectionPhase): void {
    this.#onProgress?.({ ...this.result(), phase })
  }
}
