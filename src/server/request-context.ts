/** What every endpoint handler is given. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { BlockStore } from '../core/block-store.js'
import type { ServerMetrics } from './metrics.js'

/** Options of a garbage collection run (`POST /v1/gc`). */
export interface GcRunOptions {
  readonly dryRun: boolean
  /** Only remote keys starting with this string (`?prefix=`). */
  readonly prefix?: string | undefined
  /** Stop after this many orphans, 0 unlimited (`?maxDeletions=`). */
  readonly maxDeletions?: number | undefined
  /** Grace period in ms, never under the engine's 5 minute floor (`?gracePeriod=`). */
  readonly gracePeriodMs?: number | undefined
  readonly signal?: AbortSignal | undefined
}

/** Runs garbage collection; its JSON-serialisable report is returned to the client. */
export type GcRunner = (options: GcRunOptions) => Promise<unknown>

/** One request being served. */
export interface RequestContext {
  readonly engine: BlockStore
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly query: URLSearchParams
  /** Aborted when the client goes away or shutdown gives up waiting. */
  readonly signal: AbortSignal
  readonly maxBodyBytes: number
  readonly metrics: ServerMetrics
  /** Payloads written since their last flush: shutdown flushes them. */
  readonly unflushed: Set<string>
  readonly gc?: GcRunner | undefined
}
