/**
 * ditto-blockstore: a block storage engine for virtual filesystems.
 *
 * This entry point loads no heavy backend: S3, SQLite and PostgreSQL live behind the
 * `./s3`, `./sqlite` and `./postgres` subpaths.
 */
export * from './core/index.js'
export { hashBlock, hashBlockAsync } from './platform/hash-block.js'
export { createSystemDetector, type SystemDetectorOptions } from './platform/system-detector.js'
export * from './readbuffer/index.js'
