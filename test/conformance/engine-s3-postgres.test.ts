/**
 * BlockStore conformance on fs local + S3 (a real server started by the tests: Ceph RGW when
 * installed, else s3rver) + PostgreSQL metadata, with restart.
 */
import { after, before, it } from 'node:test'
import { describeBlockStore } from '../../src/conformance/index.js'
import { PostgresMetadataStore } from '../../src/meta/postgres/index.js'
import { S3RemoteStore } from '../../src/remote/s3/index.js'
import { dropSchema, PG_URL, pgSkipReason, randomSchema } from '../meta/postgres/pg-test-env.js'
import {
  destroyFsEngineFixture,
  fsEngineFixture,
  reopenFsEngineFixture,
} from '../support/engine-fixture.js'
import { availableS3Servers, type S3TestServer } from '../support/s3-servers.js'

const skip = await pgSkipReason()
if (skip !== undefined) {
  console.log(`# ${skip}`)
  it('BlockStore conformance on S3 + PostgreSQL', { skip }, () => {})
} else {
  let servers: S3TestServer[] = []
  let server: S3TestServer | undefined
  before(async () => {
    servers = await availableS3Servers()
    // The most faithful server available: Ceph RGW when installed.
    server = servers.find((s) => s.name === 'ceph-rgw') ?? servers[0]
    console.log(`# engine S3 suite runs against ${server?.name} at ${server?.endpoint}`)
  })
  after(async () => {
    for (const s of servers) await s.stop()
  })
  describeBlockStore({
    name: 'fs local + S3 remote + PostgreSQL metadata',
    async create() {
      if (server === undefined) throw new Error('no S3 server available')
      const bucket = await server.createBucket()
      const remote = await S3RemoteStore.open({
        bucket,
        endpoint: server.endpoint,
        region: server.region,
        credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      })
      const schema = randomSchema()
      const metadata = await PostgresMetadataStore.open({ connectionString: PG_URL, schema })
      return fsEngineFixture({
        remote,
        metadata,
        async dispose() {
          await remote.close()
          await metadata.close()
          await dropSchema(schema)
        },
      })
    },
    reopen: reopenFsEngineFixture,
    destroy: destroyFsEngineFixture,
  })
}
