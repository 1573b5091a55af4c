/**
 * What a CLI command talks to: the engine opened in this process on a data directory, or a
 * running server over HTTP (`--url`). Both offer the same operations.
 */
import type { Writable } from 'node:stream'
import type { FlushResult } from '../core/block.js'
import type {
  BlockStoreStats,
  DrainReport,
  EvictOptions,
  EvictReport,
} from '../core/block-store.js'
import type { GarbageCollectionResult } from '../core/gc.js'
import type { HealthReport } from '../core/health.js'
import type { PayloadPage, PayloadRecord } from '../core/metadata-store.js'

/** Progress callback: bytes done so far. */
export type OnProgress = (done: number) => void

/** Result of a `put`. */
export interface PutResult {
  readonly id: string
  readonly size: number
  readonly finalized: boolean
}

/** A garbage collection request from the command line, already checked. */
export interface GcRequest {
  readonly dryRun: boolean
  /** The grace period in ms, and as the user wrote it (sent to a server as given). */
  readonly grace?: { readonly ms: number; readonly text: string } | undefined
  readonly prefix?: string | undefined
  readonly maxDeletions?: number | undefined
}

/** What a batch flush did, per payload (the JSON of `POST /v1/flush`). */
export interface BatchFlushReport {
  readonly results: readonly { readonly id: string; readonly finalized: boolean }[]
  readonly failures: readonly {
    readonly id: string
    readonly code: string
    readonly message: string
  }[]
}

/** One side of the CLI. */
export interface CliTarget extends AsyncDisposable {
  /** Replaces `id` with the streamed bytes and flushes. */
  put(id: string, source: AsyncIterable<Uint8Array>, onProgress?: OnProgress): Promise<PutResult>
  /** Streams the payload into `sink`; `onSize` is told the size before the first byte. */
  get(
    id: string,
    sink: Writable,
    onSize?: (size: number) => void,
    onProgress?: OnProgress,
  ): Promise<number>
  stat(id: string): Promise<PayloadRecord>
  list(prefix: string | undefined, cursor: string | undefined, limit: number): Promise<PayloadPage>
  remove(id: string): Promise<void>
  truncate(id: string, size: number): Promise<void>
  copy(src: string, dst: string): Promise<number>
  flush(id: string): Promise<FlushResult>
  /** Flushes several payloads together; per-payload failures are in the report. */
  flushMany(ids: readonly string[]): Promise<BatchFlushReport>
  /** Flushes every payload with unflushed changes (the target's engine knows which). */
  flushAll(): Promise<BatchFlushReport>
  drain(): Promise<DrainReport>
  /** `onScanned` hears the count of remote objects listed so far, where the side reports it. */
  gc(request: GcRequest, onScanned?: (objects: number) => void): Promise<GarbageCollectionResult>
  stats(): Promise<BlockStoreStats>
  health(): Promise<HealthReport>
  evict(options: Omit<EvictOptions, 'signal'>): Promise<EvictReport>
  close(): Promise<void>
}
