/**
 * ditto-blockstore: a block storage engine for virtual filesystems.
 *
 * This entry point loads no heavy backend: S3, SQLite and PostgreSQL live behind the
 * `./s3`, `./sqlite` and `./postgres` subpaths.
 */
export * from './core/index.js'
export * from './engine/index.js'
export * from './gc/index.js'
export { FsLocalStore, type FsLocalStoreOptions } from './local/fs/fs-local-store.js'
export {
  MemoryLocalStore,
  type MemoryLocalStoreOptions,
} from './local/memory/memory-local-store.js'
export { MemoryMetadataStore } from './meta/memory/memory-metadata-store.js'
export { hashBlock, hashBlockAsync } from './platform/hash-block.js'
export { createSystemDetector, type SystemDetectorOptions } from './platform/system-detector.js'
export * from './readbuffer/index.js'
export { FsRemoteStore, type FsRemoteStoreOptions } from './remote/fs/fs-remote-store.js'
export { MemoryRemoteStore } from './remote/memory/memory-remote-store.js'
