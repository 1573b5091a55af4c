/**
 * Resolves the engine's parts from options: stores given by value are used as they are (and
 * not closed by the engine); stores given by config are opened here (and owned). Heavy
 * backends (S3, SQLite, PostgreSQL) are imported only when configured.
 */
import type { DeducedDefaults } from '../core/defaults.js'
import { BlockStoreError } from '../core/errors.js'
import type { LocalStore, LocalStoreHooks } from '../core/local-store.js'
import type { MetadataStore } from '../core/metadata-store.js'
import type { RemoteStore } from '../core/remote-store.js'
import { FsLocalStore } from '../local/fs/fs-local-store.js'
import { MemoryLocalStore } from '../local/memory/memory-local-store.js'
import { MemoryMetadataStore } from '../meta/memory/memory-metadata-store.js'
import type { Prefetcher } from '../readbuffer/prefetcher.js'
import type { ReadBuffer } from '../readbuffer/read-buffer.js'
import { FsRemoteStore } from '../remote/fs/fs-remote-store.js'
import { MemoryRemoteStore } from '../remote/memory/memory-remote-store.js'
import type { Syncer } from '../sync/syncer.js'
import { localLimits } from './local-config.js'
import type { BlockStoreOptions, LocalConfig, MetadataConfig, RemoteConfig } from './options.js'
import type { ReadContext } from './read-path.js'

/** An opened part and whether the engine owns (closes) it. */
export interface Part<T> {
  readonly store: T
  readonly owned: boolean
}

/**
 * The composed parts `openBlockStore` builds and hands to the engine; the engine's paths
 * (admin, flush, replace, stats, write) take them as they are.
 */
export interface EngineParts {
  readonly local: Part<LocalStore>
  readonly remote: Part<RemoteStore> | undefined
  readonly metadata: Part<MetadataStore>
  readonly syncer: Syncer
  readonly buffer: ReadBuffer
  readonly prefetcher: Prefetcher
  readonly durability: 'local' | 'remote'
  /** What the read path needs, built once: the engine's reads and the prefetcher's loads. */
  readonly read: ReadContext
}

function isStore(value: object): boolean {
  return typeof (value as { close?: unknown }).close === 'function'
}

/** Opens the metadata store. */
export async function openMetadata(
  config: BlockStoreOptions['metadata'],
): Promise<Part<MetadataStore>> {
  if (isStore(config)) return { store: config as MetadataStore, owned: false }
  const c = config as MetadataConfig
  switch (c.kind) {
    case 'memory':
      return { store: await MemoryMetadataStore.open(), owned: true }
    case 'sqlite': {
      const { SqliteMetadataStore } = await import('../meta/sqlite/index.js')
      return { store: await SqliteMetadataStore.open({ path: c.path }), owned: true }
    }
    case 'postgres': {
      const { PostgresMetadataStore } = await import('../meta/postgres/index.js')
      const store = await PostgresMetadataStore.open({
        connectionString: c.url,
        ...(c.schema === undefined ? {} : { schema: c.schema }),
      })
      return { store, owned: true }
    }
    default:
      throw new BlockStoreError('BS_INVALID_CONFIG', `unknown metadata store kind`)
  }
}

/** Opens the remote store (`undefined`: local-only). */
export async function openRemote(
  config: BlockStoreOptions['remote'],
  parallelism: number,
): Promise<Part<RemoteStore> | undefined> {
  if (config === undefined) return undefined
  if (isStore(config)) return { store: config as RemoteStore, owned: false }
  const c = config as RemoteConfig
  switch (c.kind) {
    case 'memory':
      return { store: new MemoryRemoteStore(), owned: true }
    case 'fs':
      return { store: await FsRemoteStore.open({ root: c.dir }), owned: true }
    case 's3': {
      const { S3RemoteStore } = await import('../remote/s3/index.js')
      const credentials =
        c.accessKeyId !== undefined && c.secretAccessKey !== undefined
          ? { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey }
          : undefined
      const store = await S3RemoteStore.open({
        bucket: c.bucket,
        prefix: c.prefix,
        region: c.region,
        endpoint: c.endpoint,
        forcePathStyle: c.forcePathStyle,
        credentials,
        // Sockets for every upload and fetch in flight, plus the health probe.
        maxSockets: parallelism + 2,
      })
      return { store, owned: true }
    }
    default:
      throw new BlockStoreError('BS_INVALID_CONFIG', `unknown remote store kind`)
  }
}

/** Opens the local store with the engine's hooks. */
export async function openLocal(
  config: BlockStoreOptions['local'],
  metadata: MetadataStore,
  hooks: LocalStoreHooks,
  defaults: DeducedDefaults,
  retention: { policy: NonNullable<BlockStoreOptions['retention']>['policy']; ttlMs: number },
  evictionEnabled: boolean,
): Promise<Part<LocalStore>> {
  if (typeof config === 'function') return { store: await config(hooks), owned: true }
  if (isStore(config)) return { store: config as LocalStore, owned: false }
  const c = config as LocalConfig
  const common = {
    metadata,
    ...hooks,
    retentionPolicy: retention.policy,
    retentionTtlMs: retention.ttlMs,
    evictionEnabled,
  }
  const limits = localLimits(c)
  switch (c.kind) {
    case 'memory':
      return {
        store: await MemoryLocalStore.open({
          ...common,
          maxDisk: limits.maxDisk,
          spaceWaitMs: c.spaceWaitMs,
        }),
        owned: true,
      }
    case 'fs': {
      const store = await FsLocalStore.open({
        ...common,
        dir: c.dir,
        maxDisk: limits.maxDisk ?? defaults.localStoreSize,
        maxMemory: limits.maxMemory ?? defaults.maxPendingSize,
        fsync: c.fsync,
        spaceWaitMs: c.spaceWaitMs,
        packs: c.packs,
      })
      return { store, owned: true }
    }
    default:
      throw new BlockStoreError('BS_INVALID_CONFIG', `unknown local store kind`)
  }
}
