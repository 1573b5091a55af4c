/**
 * `ditto-blockstore/s3`: the S3 remote store (loads @aws-sdk/client-s3).
 */
export { normalizeEndpoint } from './normalize-endpoint.js'
export type { S3Credentials, S3RemoteStoreOptions } from './s3-options.js'
export { S3RemoteStore, type S3RemoteStoreStats } from './s3-remote-store.js'
