/**
 * Engine fixtures over persistent stores for the BlockStore conformance suite: the local
 * directory is the engine's own; remote and metadata are opened here and outlive reopen().
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BlockStoreFixture, FaultInjectingRemoteStore } from '../../src/conformance/index.js'
import type { MetadataStore } from '../../src/core/metadata-store.js'
import type { RemoteStore } from '../../src/core/remote-store.js'
import { openBlockStore } from '../../src/engine/index.js'
import { fastSyncer } from './engine.js'

/** Parts that survive an engine restart, and how to dispose of them. */
export interface DurableParts {
  readonly remote: RemoteStore
  readonly metadata: MetadataStore
  dispose(): Promise<void>
}

/** Builds a fixture with an fs local store in a temp dir over the given remote and metadata. */
export async function fsEngineFixture(parts: DurableParts): Promise<BlockStoreFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'engine-local-'))
  const remote = new FaultInjectingRemoteStore(parts.remote)
  const open = async (): Promise<BlockStoreFixture> => {
    const store = await openBlockStore({
      local: { kind: 'fs', dir, maxDiskBytes: 0 },
      remote,
      metadata: parts.metadata,
      readBufferBytes: 64 * 1024 * 1024,
      syncer: fastSyncer,
    })
    return {
      store,
      metadata: parts.metadata,
      remote,
      async reopen(options) {
        await store.close()
        if (options?.wipeLocal === true) await rm(dir, { recursive: true, force: true })
        return open()
      },
    }
  }
  const fixture = await open()
  cleanups.set(fixture.metadata, async () => {
    await parts.dispose()
    await rm(dir, { recursive: true, force: true })
  })
  return fixture
}

const cleanups = new WeakMap<MetadataStore, () => Promise<void>>()

/** Disposes what {@link fsEngineFixture} created (after the suite closed the engine). */
export async function destroyFsEngineFixture(fixture: BlockStoreFixture): Promise<void> {
  await cleanups.get(fixture.metadata)?.()
}
