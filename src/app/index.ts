/**
 * `ditto-blockstore/app`: configuration and bootstrap. Resolves settings from flags, the
 * environment and a config file, opens the engine they describe (holding the data
 * directory's lock), and `runServe` composes that engine with the HTTP server. The CLI is
 * built on this layer; embedders that want the same configuration without the CLI use it too.
 */
export {
  type ConfigInputs,
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
export {
  firstSignal,
  ListeningLine,
  type RunServeOptions,
  runServe,
  type ServeOutcome,
} from './serve.js'
export { parseMetadataUrl, parseRemoteUrl, redactUrl, type S3Settings } from './store-urls.js'
