/**
 * PutObject signed with the digest the uploader computed (x-amz-content-sha256) instead of the
 * SDK hashing the body again, against every S3 server available (Ceph RGW included): the right
 * digest stores the bytes; a wrong one is refused by the server (which proves the preset value
 * is the one sent and that the server checks it), and stores nothing.
 */
import assert from 'node:assert/strict'
import { randomFillSync, randomUUID } from 'node:crypto'
import { after, describe, it } from 'node:test'
import { isBlockStoreError } from '../../../src/core/errors.js'
import { hashBlock } from '../../../src/platform/hash-block.js'
import { S3RemoteStore } from '../../../src/remote/s3/index.js'
import { availableS3Servers } from '../../support/s3-servers.js'

const servers = await availableS3Servers()
after(async () => {
  for (const s of servers) await s.stop()
})

for (const server of servers) {
  describe(`preset payload hash on ${server.name}`, () => {
    const open = async (): Promise<S3RemoteStore> =>
      S3RemoteStore.open({
        bucket: await server.createBucket(),
        prefix: `payload-hash-${randomUUID()}/`,
        endpoint: server.endpoint,
        region: server.region,
        credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
        maxAttempts: 1,
      })

    it('stores the block when the digest matches', async () => {
      await using store = await open()
      const data = randomFillSync(new Uint8Array(3 * 1024 * 1024 + 17))
      await store.writeBlock('k', data, { sha256: hashBlock(data) })
      assert.ok(Buffer.from(await store.readBlock('k')).equals(data))
      assert.equal(store.stats().requests.put, 1)
      await store.deleteByPrefix('')
    })

    // s3rver does not check payload hashes; real S3 and Ceph RGW do.
    it('is refused by the server when the digest does not match', {
      skip: server.name === 's3rver' ? 's3rver does not verify payload hashes' : false,
    }, async () => {
      await using store = await open()
      const data = randomFillSync(new Uint8Array(1024 * 1024))
      const other = randomFillSync(new Uint8Array(16))
      const err = await store.writeBlock('bad', data, { sha256: hashBlock(other) }).then(
        () => undefined,
        (e: unknown) => e,
      )
      assert.ok(isBlockStoreError(err), `refused with a BlockStoreError, got ${String(err)}`)
      assert.match(String((err as Error).message), /SHA256|sha256|BadDigest|Digest/i)
      assert.equal(await store.statBlock('bad'), undefined)
    })
  })
}
