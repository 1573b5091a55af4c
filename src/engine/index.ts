/** The BlockStore engine. */
export { Engine } from './engine.js'
export { openBlockStore } from './open.js'
export type {
  BlockStoreOptions,
  LocalConfig,
  LocalFactory,
  MetadataConfig,
  RemoteConfig,
  SyncerConfig,
} from './options.js'
