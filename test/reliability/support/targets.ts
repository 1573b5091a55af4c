/**
 * The two engine configurations the campaigns run against: fs local + fs remote + SQLite, and
 * fs local + S3 (Ceph RGW when installed, else s3rver, on 127.0.0.1) + PostgreSQL (127.0.0.1:5432, a throwaway schema).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dropSchema, PG_URL, pgSkipReason, randomSchema } from '../../meta/postgres/pg-test-env.js'
import { fastSyncer, openTestEngine, type TestEngine } from '../../support/engine-fixture.js'
import { type S3TestServer, startMostFaithfulS3 } from '../../support/s3-servers.js'
import type { CrashTarget } from './crash-campaign.js'

/** A target and how to remove everything it created. */
export interface OpenedTarget {
  readonly target: CrashTarget
  dispose(): Promise<void>
}

const MAX_DISK = 40 * 1024 * 1024

/** fs local + fs remote + SQLite in a temp dir. */
export async function fsSqliteTarget(): Promise<OpenedTarget> {
  const dir = await mkdtemp(join(tmpdir(), 'rel-fs-'))
  return {
    target: {
      name: 'fs local + fs remote + SQLite',
      dir,
      remote: { kind: 'fs', dir: join(dir, 'remote') },
      metadata: { kind: 'sqlite', path: join(dir, 'meta.db') },
      maxDisk: MAX_DISK,
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  }
}

/** fs local + S3 (Ceph RGW, else its own s3rver) + PostgreSQL; `undefined` with a reason when PG is absent. */
export async function s3PostgresTarget(): Promise<OpenedTarget | string> {
  const skip = await pgSkipReason()
  if (skip !== undefined) return skip
  const dir = await mkdtemp(join(tmpdir(), 'rel-s3-'))
  const server: S3TestServer = await startMostFaithfulS3()
  const bucket = await server.createBucket()
  const schema = randomSchema()
  return {
    target: {
      name: `fs local + S3 (${server.name}) + PostgreSQL`,
      dir,
      remote: {
        kind: 's3',
        bucket,
        endpoint: server.endpoint,
        region: server.region,
        forcePathStyle: true,
        accessKeyId: server.accessKeyId,
        secretAccessKey: server.secretAccessKey,
      },
      metadata: { kind: 'postgres', url: PG_URL, schema },
      maxDisk: MAX_DISK,
    },
    async dispose() {
      await server.stop()
      await dropSchema(schema)
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/**
 * The load campaign's engine on an S3 + PostgreSQL target: fs local in a temp dir under the
 * target's, its S3 bucket (opened by the engine), its PostgreSQL schema (opened here, so the
 * campaign reads rows through the same store as the engine). The target stays the caller's.
 */
export function s3PostgresLoadEngine(opened: OpenedTarget): () => Promise<TestEngine> {
  const { target } = opened
  return () => {
    const { metadata } = target
    if (metadata.kind !== 'postgres') throw new Error(`${target.name}: not PostgreSQL`)
    return openTestEngine({
      tempDirIn: target.dir,
      local: { kind: 'fs', open: 'config' },
      remote: { config: target.remote },
      metadata: {
        kind: 'postgres',
        url: metadata.url,
        ...(metadata.schema === undefined ? {} : { schema: metadata.schema }),
      },
      readBufferBytes: 0,
      syncer: fastSyncer,
    })
  }
}
