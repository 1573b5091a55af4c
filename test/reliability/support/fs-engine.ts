/**
 * An fs local + fs remote + SQLite engine in a temp dir whose metadata store is opened here,
 * so tests can look at rows (block file paths) and reopen the engine over the same parts.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FileBlock } from '../../../src/core/block.js'
import { formatBlockId } from '../../../src/core/keys.js'
import type { MetadataStore } from '../../../src/core/metadata-store.js'
import type { RemoteStore } from '../../../src/core/remote-store.js'
import { type Engine, openBlockStore } from '../../../src/engine/index.js'
import type { BlockStoreOptions } from '../../../src/engine/options.js'
import { SqliteMetadataStore } from '../../../src/meta/sqlite/index.js'
import { FsRemoteStore } from '../../../src/remote/fs/index.js'
import { fastSyncer } from '../../support/engine.js'

/** An engine plus direct access to its persistent parts. */
export interface FsEngine extends AsyncDisposable {
  store: Engine
  readonly dir: string
  readonly metadata: MetadataStore
  readonly remote: RemoteStore
  row(payloadId: string, idx: number): Promise<FileBlock>
  /** Closes the engine and opens it again over the same directory and stores. */
  reopen(extra?: Partial<BlockStoreOptions>): Promise<Engine>
}

/** Opens the engine; `extra` overrides options (e.g. a wrapped metadata or remote store). */
export async function openFsEngine(
  extra: Partial<BlockStoreOptions> & { maxDiskBytes?: number } = {},
): Promise<FsEngine> {
  const dir = await mkdtemp(join(tmpdir(), 'rel-engine-'))
  const metadata = await SqliteMetadataStore.open({ path: join(dir, 'meta.db') })
  const remote = await FsRemoteStore.open({ root: join(dir, 'remote') })
  const { maxDiskBytes, ...rest } = extra
  const open = (more: Partial<BlockStoreOptions> = {}) =>
    openBlockStore({
      local: {
        kind: 'fs',
        dir: join(dir, 'local'),
        maxDiskBytes: maxDiskBytes ?? 0,
        spaceWaitMs: 300,
      },
      remote,
      metadata,
      readBufferBytes: 0,
      syncer: fastSyncer,
      ...rest,
      ...more,
    })
  const e: FsEngine = {
    store: await open(),
    dir,
    metadata,
    remote,
    row: (p, idx) => metadata.getFileBlock(formatBlockId(p, idx)),
    async reopen(more) {
      await e.store.close()
      e.store = await open(more)
      return e.store
    },
    async [Symbol.asyncDispose]() {
      await e.store.close()
      await remote.close()
      await metadata.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
  return e
}
