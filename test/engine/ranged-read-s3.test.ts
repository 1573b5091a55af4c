/**
 * Verified ranged reads against a real S3 server (Ceph RGW when installed, else s3rver) on
 * 127.0.0.1: random aligned 4 KiB cold reads fetch at most 1.5 bytes per byte read (counted by
 * the S3 store itself: data ranges and chunk index records), at most two GETs per read, one
 * once the group is known, and every byte comes back right.
 */
import assert from 'node:assert/strict'
import { randomFillSync } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { BlockSize } from '../../src/core/constants.js'
import { openBlockStore } from '../../src/engine/index.js'
import { S3RemoteStore } from '../../src/remote/s3/index.js'
import { type S3TestServer, startMostFaithfulS3 } from '../support/s3-servers.js'

describe('verified ranged reads on a real S3 server', () => {
  let server: S3TestServer
  before(async () => {
    server = await startMostFaithfulS3()
  })
  after(async () => {
    await server?.stop()
  })

  it('random aligned 4 KiB cold reads: <= 1.5 bytes fetched per byte read, all verified', async () => {
    const remote = await S3RemoteStore.open({
      bucket: await server.createBucket(),
      endpoint: server.endpoint,
      region: server.region,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    })
    await using engine = await openBlockStore({
      local: { kind: 'memory' },
      remote,
      metadata: { kind: 'memory' },
      readBufferBytes: 0,
      prefetchWorkers: 0,
      syncer: { uploadIntervalMs: 3_600_000 },
    })
    const data = randomFillSync(new Uint8Array(2 * BlockSize))
    await engine.writeAt('r', data, 0)
    await engine.flush('r')
    assert.deepEqual((await engine.drainAllUploads()).failed, [])
    await engine.evict()
    const before = remote.stats()
    const leaves = [...new Set(Array.from({ length: 96 }, (_, i) => 1 + ((i * 677) % 4095)))]
      .filter((l, _, all) => !all.includes(l - 1))
      .slice(0, 64)
    const out = new Uint8Array(4096)
    for (const leaf of leaves) {
      const at = leaf * 4096
      assert.equal(await engine.readAt('r', out, at), 4096)
      assert.ok(Buffer.from(out).equals(data.subarray(at, at + 4096)), `bytes at ${at}`)
    }
    const after = remote.stats()
    const read = leaves.length * 4096
    const ratio = (after.bytesDownloaded - before.bytesDownloaded) / read
    const gets = ((after.requests.get ?? 0) - (before.requests.get ?? 0)) / leaves.length
    assert.ok(ratio >= 1 && ratio <= 1.5, `bytes fetched per byte read: ${ratio}`)
    assert.ok(gets <= 2, `GETs per read: ${gets}`)
    // Again: every group's leaf hashes are known now, so one GET per read.
    const again = remote.stats()
    for (const leaf of leaves) await engine.readAt('r', out, leaf * 4096)
    assert.equal(
      ((remote.stats().requests.get ?? 0) - (again.requests.get ?? 0)) / leaves.length,
      1,
    )
  })
})
