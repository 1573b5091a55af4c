/**
 * The real S3 server of the engine benchmarks (Ceph RGW when installed, else s3rver) with a
 * fresh bucket, and one client configured like the engine's, for the raw baselines.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { createS3Client, resolveS3Options } from '../../src/remote/s3/s3-options.js'
import { S3RemoteStore } from '../../src/remote/s3/s3-remote-store.js'
import { type S3TestServer, startMostFaithfulS3 } from '../../test/support/s3-servers.js'

/** A bucket on a running server; `endpoint` may be overridden (e.g. a latency proxy). */
export interface S3Target {
  readonly server: S3TestServer
  readonly bucket: string
  /** A store and a raw client sharing one configuration (and one socket pool). */
  open(endpoint?: string, maxSockets?: number): Promise<{ store: S3RemoteStore; client: S3Client }>
  stop(): Promise<void>
}

/** Starts the most faithful server available and creates a bucket. */
export async function startS3Target(): Promise<S3Target> {
  const server = await startMostFaithfulS3()
  const bucket = await server.createBucket()
  return {
    server,
    bucket,
    async open(endpoint = server.endpoint, maxSockets = 34) {
      const options = {
        bucket,
        endpoint,
        region: server.region,
        credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
        maxSockets,
      }
      const client = createS3Client(options, resolveS3Options(options).policy)
      const store = await S3RemoteStore.open({ ...options, client })
      return { store, client }
    },
    stop: () => server.stop(),
  }
}
