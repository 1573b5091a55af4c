/**
 * Maps the effective configuration onto the engine's options, passing every printed value
 * through so the banner is exactly what the engine runs with. A setting named `localX` is the
 * engine's `local.x`, which is the store's `x`: one name per knob.
 */
import type { BlockStoreOptions, SyncerConfig } from '../engine/options.js'
import type { ServeConfig } from './config.js'

/** The `openBlockStore` options of a configuration. */
export function toBlockStoreOptions(config: ServeConfig): BlockStoreOptions {
  const syncer: SyncerConfig = {
    parallelUploads: config.parallelUploads,
    parallelFetches: config.parallelFetches,
    ...(config.uploadInterval === undefined ? {} : { uploadIntervalMs: config.uploadInterval }),
    ...(config.uploadDelay === undefined ? {} : { uploadDelayMs: config.uploadDelay }),
  }
  return {
    local: {
      kind: 'fs',
      dir: config.localDir,
      maxDisk: config.localMaxDisk,
      maxMemory: config.localMaxMemory,
      ...(config.fsync === undefined ? {} : { fsync: config.fsync }),
    },
    remote: config.remoteConfig,
    metadata: config.metadataConfig,
    retention: {
      policy: config.retention,
      ...(config.retentionTtl === undefined ? {} : { ttlMs: config.retentionTtl }),
    },
    durability: config.durability,
    readBufferBytes: config.readBuffer,
    prefetchWorkers: config.prefetchWorkers,
    syncer,
  }
}
