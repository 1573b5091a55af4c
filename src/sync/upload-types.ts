/**
 * Options, outcomes and counters of the uploader (src/sync/uploader.ts).
 */
import type { LocalStore } from '../core/local-store.js'
import type { MetadataStore } from '../core/metadata-store.js'
import type { RemoteStore } from '../core/remote-store.js'

/** Options of an {@link Uploader}. */
export interface UploaderOptions {
  readonly local: LocalStore
  readonly remote: RemoteStore
  readonly metadata: MetadataStore
  /** Uploads in flight at once (default 8). */
  readonly parallelism?: number | undefined
  /** First retry delay after a failed upload; doubles per failure (default 1 s). */
  readonly backoffBaseMs?: number | undefined
  /** Longest retry delay (default 5 min). */
  readonly backoffMaxMs?: number | undefined
  /** Rows listed per pass (default 1024). */
  readonly batchSize?: number | undefined
  /** Clock, for tests. */
  readonly now?: (() => number) | undefined
}

/** What one upload of a block did. */
export type UploadOutcome = 'uploaded' | 'deduplicated' | 'skipped' | 'superseded'

/** A block that failed to upload, with the error. */
export interface BlockUploadError {
  readonly blockId: string
  readonly error: Error
}

/** Result of a pass or a drain. */
export interface UploadReport {
  readonly uploaded: number
  readonly deduplicated: number
  /** Blocks written again while uploading: their bytes will be uploaded by a later pass. */
  readonly superseded: number
  readonly bytesUploaded: number
  readonly failed: readonly BlockUploadError[]
}

/** Counters since the uploader was created. */
export interface UploaderStats {
  readonly uploaded: number
  readonly deduplicated: number
  readonly superseded: number
  readonly failed: number
  readonly bytesUploaded: number
  readonly inFlight: number
  /** Blocks waiting for their backoff to expire. */
  readonly backingOff: number
  readonly lastError: string | undefined
  readonly lastErrorAt: number
}
