/**
 * A GC run on one node while another node writes, deduplicates and deletes: two engines on
 * one PostgreSQL schema and one bucket of a real S3 server (Ceph RGW when installed, else
 * s3rver, on 127.0.0.1). GC runs with no grace period at all, so only the fence protocol
 * protects the writer. Every byte is verified afterwards through the other node (cold reads
 * from S3).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { GarbageCollectionResult } from '../../src/core/gc.js'
import { type Engine, openBlockStore } from '../../src/engine/index.js'
import { PostgresMetadataStore } from '../../src/meta/postgres/index.js'
import { S3RemoteStore } from '../../src/remote/s3/index.js'
import { dropSchema, PG_URL, pgSkipReason, randomSchema } from '../meta/postgres/pg-test-env.js'
import { type S3TestServer, startMostFaithfulS3 } from '../support/s3-servers.js'

const skip = await pgSkipReason()

function content(variant: number, size: number): Uint8Array {
  const data = new Uint8Array(size)
  for (let i = 0; i < size; i++) data[i] = (i * 7 + variant * 13) & 0xff
  return data
}

describe('GC on one node while another writes (PostgreSQL + S3)', { skip }, () => {
  let server: S3TestServer
  before(async () => {
    server = await startMostFaithfulS3()
  })
  after(async () => {
    await server?.stop()
  })

  it('loses nothing: every surviving payload reads back byte for byte on the other node', async () => {
    const bucket = await server.createBucket()
    const schema = randomSchema()
    const openNode = async (): Promise<Engine> =>
      openBlockStore({
        local: { kind: 'memory' },
        remote: await S3RemoteStore.open({
          bucket,
          endpoint: server.endpoint,
          region: server.region,
          credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
        }),
        metadata: await PostgresMetadataStore.open({ connectionString: PG_URL, schema }),
        syncer: { uploadIntervalMs: 3_600_000 },
      })
    const writer = await openNode()
    const collector = await openNode()
    try {
      const expected = new Map<string, Uint8Array>()
      let writing = true
      const work = (async () => {
        try {
          for (let round = 0; round < 8; round++) {
            for (let i = 0; i < 5; i++) {
              const pid = `r${round}/p${i}`
              // Four contents only: most writes deduplicate onto objects of other payloads.
              const data = content((round + i) % 4, 150_000 + (i % 2) * 8)
              await writer.writeAt(pid, data, 0)
              await writer.flush(pid)
              expected.set(pid, data)
            }
            // Deleting older payloads leaves their objects referenced only by later ones, or
            // by nobody (garbage for the collector).
            for (const pid of [...expected.keys()].filter((p) => p.startsWith(`r${round - 1}/`))) {
              if (Number(pid.at(-1)) % 2 === 0) {
                await writer.delete(pid)
                expected.delete(pid)
              }
            }
          }
        } finally {
          writing = false
        }
      })()
      // A writer failure is reported by the await below, not as an unhandled rejection while
      // the collector is mid-run.
      work.catch(() => undefined)
      const runs: GarbageCollectionResult[] = []
      while (writing) {
        runs.push(await collector.collectGarbage({ gracePeriodMs: 0, allowShortGrace: true }))
      }
      await work
      runs.push(await collector.collectGarbage({ gracePeriodMs: 0, allowShortGrace: true }))
      assert.ok(runs.length >= 2, `collector ran ${runs.length} times`)
      assert.ok(
        runs.every((r) => r.errors === 0),
        JSON.stringify(runs.map((r) => r.errorSamples)),
      )
      for (const [pid, data] of expected) {
        const out = new Uint8Array(data.length)
        assert.equal(await collector.readAt(pid, out, 0), data.length, pid)
        assert.ok(Buffer.from(out).equals(Buffer.from(data)), `${pid} differs`)
      }
      // Every object left is referenced: the garbage did go.
      const last = runs.at(-1)!
      assert.equal(last.deleted, last.orphaned)
      const check = await collector.collectGarbage({
        dryRun: true,
        gracePeriodMs: 0,
        allowShortGrace: true,
      })
      assert.equal(check.orphaned, 0)
      assert.equal(check.objectsScanned, check.referenced)
      assert.ok(runs.reduce((n, r) => n + r.deleted, 0) > 0, 'some garbage was collected')
    } finally {
      await writer.close()
      await collector.close()
      await dropSchema(schema)
    }
  })
})
