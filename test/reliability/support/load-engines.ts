/**
 * Engines of the in-process load campaign: fs local + fs remote + SQLite (a temp dir), or fs
 * local + S3 + PostgreSQL over a target of targets.ts. Each exposes its metadata store so the
 * campaign can tell which blocks of a copy's source were remote, cached or only local.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { MetadataStore } from '../../../src/core/metadata-store.js'
import { type Engine, openBlockStore } from '../../../src/engine/index.js'
import { PostgresMetadataStore } from '../../../src/meta/postgres/index.js'
import { fastSyncer } from '../../support/engine.js'
import { openFsEngine } from './fs-engine.js'
import type { OpenedTarget } from './targets.js'

/** An open engine and its metadata store; disposing closes both and removes local files. */
export interface LoadEngine extends AsyncDisposable {
  readonly store: Engine
  readonly metadata: MetadataStore
}

/** Opens a fresh engine; called after the descriptors are first counted. */
export type LoadEngineOpener = () => Promise<LoadEngine>

/** Name of the default target. */
export const FS_SQLITE = 'fs local + fs remote + SQLite'

/** fs local + fs remote + SQLite in a temp dir (no disk cap: eviction is explicit). */
export const openFsLoadEngine: LoadEngineOpener = () => openFsEngine()

/**
 * fs local + the target's S3 bucket + its PostgreSQL schema (opened here by value, so the
 * campaign reads rows through the same store as the engine). The target stays the caller's.
 */
export function s3PostgresLoadEngine(opened: OpenedTarget): LoadEngineOpener {
  const { target } = opened
  return async () => {
    if (target.metadata.kind !== 'postgres') throw new Error(`${target.name}: not PostgreSQL`)
    const metadata = await PostgresMetadataStore.open({
      connectionString: target.metadata.url,
      schema: target.metadata.schema,
    })
    const dir = await mkdtemp(join(target.dir, 'load-'))
    let store: Engine
    try {
      store = await openBlockStore({
        local: { kind: 'fs', dir: join(dir, 'local'), maxDiskBytes: 0 },
        remote: target.remote,
        metadata,
        readBufferBytes: 0,
        syncer: fastSyncer,
      })
    } catch (err) {
      await metadata.close()
      throw err
    }
    return {
      store,
      metadata,
      async [Symbol.asyncDispose]() {
        await store.close()
        await metadata.close()
        await rm(dir, { recursive: true, force: true })
      },
    }
  }
}
