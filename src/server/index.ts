/**
 * `ditto-blockstore/server`: the HTTP server over one engine, and what it is built from
 * (authentication, ranges, metrics). Configuration and `runServe` now live in
 * `ditto-blockstore/app`; they are re-exported at the end of this file for compatibility.
 */

// Compatibility: everything below moved out of the HTTP layer and stays exported here so code
// written against 0.1 keeps working. Configuration and bootstrap are deprecated here: import
// them from `ditto-blockstore/app`. This entry point is the one file of src/server that
// biome.json lets import src/app; nothing in the server itself uses these names.
export {
  type ConfigInputs,
  type RawValue,
  type ResolvedConfig,
  readConfigFile,
  resolveConfig,
  type ServeConfig,
  type SettingSource,
} from '../app/config.js'
export { configToJSON, describeConfig, type PrintedSetting } from '../app/config-print.js'
export {
  SETTINGS,
  type SettingKey,
  type SettingSpec,
  type SettingType,
} from '../app/config-schema.js'
export {
  type ConfiguredEngine,
  type LoadConfigOptions,
  loadConfig,
  openConfiguredEngine,
} from '../app/configured-engine.js'
export { DataDirLock } from '../app/data-dir-lock.js'
export { toBlockStoreOptions } from '../app/engine-options.js'
export { ListeningLine, type RunServeOptions, runServe, type ServeOutcome } from '../app/serve.js'
export { parseMetadataUrl, parseRemoteUrl, redactUrl, type S3Settings } from '../app/store-urls.js'
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
