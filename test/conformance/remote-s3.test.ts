/**
 * The RemoteStore suite against every S3 server available here (s3rver always, Ceph RGW when
 * installed, S3_ENDPOINT when set); each store gets its own prefix in a per-server bucket.
 */
import { randomUUID } from 'node:crypto'
import { after } from 'node:test'
import { describeRemoteStore } from '../../src/conformance/remote-store.js'
import { S3RemoteStore } from '../../src/remote/s3/index.js'
import { availableS3Servers, type S3TestServer } from '../support/s3-servers.js'

const servers = await availableS3Servers()
after(async () => {
  for (const s of servers) await s.stop()
})

function optionsFor(server: S3TestServer, bucket: string, prefix: string) {
  return {
    bucket,
    prefix,
    endpoint: server.endpoint,
    region: server.region,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  }
}

for (const server of servers) {
  let bucket: Promise<string> | undefined
  describeRemoteStore({
    name: `S3RemoteStore on ${server.name}`,
    emptyObjectRangeReads: server.emptyObjectRangeReads,
    create: async () => {
      bucket ??= server.createBucket()
      return S3RemoteStore.open(optionsFor(server, await bucket, `conformance-${randomUUID()}/`))
    },
    reopen: async (store) => {
      await store.close()
      return S3RemoteStore.open(optionsFor(server, store.bucket, store.prefix))
    },
    destroy: async (store) => {
      await using cleaner = await S3RemoteStore.open(optionsFor(server, store.bucket, store.prefix))
      await cleaner.deleteByPrefix('')
    },
  })
}
