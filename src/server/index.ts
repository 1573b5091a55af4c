/** `ditto-blockstore/server`: the HTTP server, its configuration and `serve`. */
export { BearerAuth, decideToken, isLoopbackHost, type TokenDecision } from './auth.js'
export {
  BlockStoreServer,
  type BlockStoreServerOptions,
  MaxHeaderBytes,
  type ServerLogger,
  type ShutdownReport,
} from './block-store-server.js'
export {
  type ConfigInputs,
  DefaultMaxBody,
  DefaultPort,
  DefaultShutdownTimeoutMs,
  type RawValue,
  type ResolvedConfig,
  readConfigFile,
  resolveConfig,
  type ServeConfig,
  type SettingSource,
} from './config.js'
export { configToJSON, describeConfig, type PrintedSetting } from './config-print.js'
export { SETTINGS, type SettingKey, type SettingSpec, type SettingType } from './config-schema.js'
export {
  type ConfiguredEngine,
  type LoadConfigOptions,
  loadConfig,
  openConfiguredEngine,
} from './configured-engine.js'
export { DataDirLock } from './data-dir-lock.js'
export { toBlockStoreOptions } from './engine-options.js'
export { ServerMetrics } from './metrics.js'
export { readToStream, type WriteStreamOptions, writeFromStream } from './payload-stream.js'
export { type ByteRange, evaluateRange, type RangeDecision } from './range.js'
export type { GcRunner, GcRunOptions } from './request-context.js'
export { ListeningLine, type RunServeOptions, runServe, type ServeOutcome } from './serve.js'
export { parseMetadataUrl, parseRemoteUrl, redactUrl, type S3Settings } from './store-urls.js'
export { formatDuration, parseDuration, parseSize } from './units.js'
