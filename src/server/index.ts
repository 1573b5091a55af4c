/**
 * `ditto-blockstore/server`: the HTTP server over one engine, and what it is built from
 * (authentication, ranges, metrics). Configuration, the configured engine and `runServe`
 * live in `ditto-blockstore/app` (the server is HTTP only and never imports it).
 */

// Shared by the server and the CLI, so they live below both (units in core, streams in engine).
export { formatDuration, parseDuration, parseSize } from '../core/units.js'
export { readToStream, type WriteStreamOptions, writeFromStream } from '../engine/payload-stream.js'
export { BearerAuth, decideToken, isLoopbackHost, type TokenDecision } from './auth.js'
export {
  BlockStoreServer,
  type BlockStoreServerOptions,
  DefaultMaxBody,
  DefaultPort,
  DefaultShutdownTimeoutMs,
  MaxHeaderBytes,
  type ServerLogger,
  type ShutdownReport,
} from './block-store-server.js'
export { ServerMetrics } from './metrics.js'
export { type ByteRange, evaluateRange, type RangeDecision } from './range.js'
export type { GcRunner, GcRunOptions } from './request-context.js'
