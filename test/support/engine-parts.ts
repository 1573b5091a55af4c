/**
 * The parts of a test engine (see engine-fixture.ts): which local tier, remote and metadata
 * store, and how each is opened — here (handles for the test, outliving a reopen), by the
 * engine from a config (as in production), or given by the caller.
 */
import { join } from 'node:path'
import type { LocalStore, LocalStoreHooks } from '../../src/core/local-store.js'
import type { MetadataStore } from '../../src/core/metadata-store.js'
import type { RemoteStore } from '../../src/core/remote-store.js'
import type { LocalConfig, MetadataConfig, RemoteConfig } from '../../src/engine/options.js'
import { FsLocalStore } from '../../src/local/fs/fs-local-store.js'
import { MemoryLocalStore } from '../../src/local/memory/memory-local-store.js'
import { MemoryMetadataStore } from '../../src/meta/memory/memory-metadata-store.js'
import { FsRemoteStore } from '../../src/remote/fs/index.js'
import { MemoryRemoteStore } from '../../src/remote/memory/index.js'
import { CountingRemote } from './counting-remote.js'

/**
 * How the local store is opened. `'direct'`: here, by the store's own `open` with the engine's
 * hooks and the store's defaults (a 256 MiB dirty-buffer budget); `TestEngine.local` is
 * then the store. `'config'`: by the engine from a LocalConfig, with its defaults deduced from
 * the machine, as in production; `TestEngine.local` is then not available.
 */
export type LocalOpening = 'direct' | 'config'

/** The local tier (default `{ kind: 'fs', open: 'direct' }`). */
export type LocalSpec =
  | {
      readonly kind: 'fs'
      readonly open?: LocalOpening
      /** Block directory (default `<dir>/local`). */
      readonly dir?: string
      /** Disk cap (default 0: none). */
      readonly maxDisk?: number
      /** Budget of dirty write buffers (default the store's, or the engine's deduced one). */
      readonly maxMemory?: number
      readonly spaceWaitMs?: number
      readonly packs?: boolean
    }
  | {
      readonly kind: 'memory'
      readonly open?: LocalOpening
      /** Cap on the bytes held (default none). */
      readonly maxDisk?: number
      readonly spaceWaitMs?: number
    }

/**
 * The remote (default memory). `memory` and `fs` (default directory `<dir>/remote`) are opened
 * here; `store` is the caller's; `config` (e.g. S3) is opened by the engine; `none`: no remote.
 */
export type RemoteSpec =
  | { readonly kind: 'memory' | 'none' }
  | { readonly kind: 'fs'; readonly dir?: string }
  | { readonly store: RemoteStore }
  | { readonly config: RemoteConfig }

/**
 * The metadata store (default memory). `memory`, `sqlite` (default path `<dir>/meta.db`) and
 * `postgres` are opened here; `store` is the caller's; `config` is opened by the engine.
 */
export type MetadataSpec =
  | { readonly kind: 'memory' }
  | { readonly kind: 'sqlite'; readonly path?: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema?: string }
  | { readonly store: MetadataStore }
  | { readonly config: MetadataConfig }

/** Which parts, in `TestEngineOptions`. */
export interface PartsOptions {
  readonly local?: LocalSpec
  readonly remote?: RemoteSpec
  readonly metadata?: MetadataSpec
  /**
   * Put a {@link CountingRemote} (outages, call hooks, counters) in front of the remote, as
   * `TestEngine.remote` (default: yes, unless the remote is a config or none). A given store
   * that is a CountingRemote already is used as it is.
   */
  readonly faults?: boolean
}

/** What the engine is opened with, and the handles on it. */
export interface Parts {
  readonly local: LocalSpec
  readonly remote: RemoteStore | RemoteConfig | undefined
  readonly metadata: MetadataStore | MetadataConfig
  /** The metadata store, unless the engine opens it from a config. */
  readonly metadataStore: MetadataStore | undefined
  readonly counting: CountingRemote | undefined
}

/**
 * Opens the parts to be opened here (`dir`: the engine's directory), pushing how to close each
 * onto `owned`.
 */
export async function openParts(
  options: PartsOptions,
  dir: string,
  owned: (() => Promise<void>)[],
): Promise<Parts> {
  const metadata = await openMetadata(options.metadata ?? { kind: 'memory' }, dir)
  const metadataStore = metadata.config === undefined ? metadata.store : undefined
  if (metadata.owned && metadataStore !== undefined) owned.push(() => metadataStore.close())
  const remote = await openRemote(options.remote ?? { kind: 'memory' }, dir)
  const remoteStore = remote.store
  if (remote.owned && remoteStore !== undefined) owned.push(() => remoteStore.close())
  let counting: CountingRemote | undefined
  if (remoteStore instanceof CountingRemote) counting = remoteStore
  else if (options.faults !== false && remoteStore !== undefined) {
    counting = new CountingRemote(remoteStore)
  } else if (options.faults === true) {
    throw new Error('faults need a remote store opened here or given, not a config or none')
  }
  return {
    local: options.local ?? { kind: 'fs' },
    remote: counting ?? remoteStore ?? remote.config,
    metadata: metadataStore ?? (metadata.config as MetadataConfig),
    metadataStore,
    counting,
  }
}

/** A part: a store (`owned` when opened here), or a config for the engine to open. */
type Opened<S, C> =
  | { readonly store: S; readonly owned: boolean; readonly config?: undefined }
  | { readonly store?: undefined; readonly owned: false; readonly config: C }

async function openMetadata(
  spec: MetadataSpec,
  dir: string,
): Promise<Opened<MetadataStore, MetadataConfig>> {
  if ('store' in spec) return { store: spec.store, owned: false }
  if ('config' in spec) return { config: spec.config, owned: false }
  switch (spec.kind) {
    case 'memory':
      return { store: await MemoryMetadataStore.open(), owned: true }
    case 'sqlite': {
      const { SqliteMetadataStore } = await import('../../src/meta/sqlite/index.js')
      const path = spec.path ?? join(dir, 'meta.db')
      return { store: await SqliteMetadataStore.open({ path }), owned: true }
    }
    case 'postgres': {
      const { PostgresMetadataStore } = await import('../../src/meta/postgres/index.js')
      const store = await PostgresMetadataStore.open({
        connectionString: spec.url,
        ...(spec.schema === undefined ? {} : { schema: spec.schema }),
      })
      return { store, owned: true }
    }
  }
}

async function openRemote(
  spec: RemoteSpec,
  dir: string,
): Promise<
  Opened<RemoteStore, RemoteConfig> | { store?: undefined; owned: false; config?: undefined }
> {
  if ('store' in spec) return { store: spec.store, owned: false }
  if ('config' in spec) return { config: spec.config, owned: false }
  switch (spec.kind) {
    case 'none':
      return { owned: false }
    case 'memory':
      return { store: new MemoryRemoteStore(), owned: true }
    case 'fs': {
      const root = spec.dir ?? join(dir, 'remote')
      return { store: await FsRemoteStore.open({ root }), owned: true }
    }
  }
}

export function localDir(spec: LocalSpec & { kind: 'fs' }, dir: string): string {
  return spec.dir ?? join(dir, 'local')
}

export function localConfig(spec: LocalSpec, dir: string): LocalConfig {
  if (spec.kind === 'memory') {
    return {
      kind: 'memory',
      ...(spec.maxDisk === undefined ? {} : { maxDisk: spec.maxDisk }),
      ...(spec.spaceWaitMs === undefined ? {} : { spaceWaitMs: spec.spaceWaitMs }),
    }
  }
  return {
    kind: 'fs',
    dir: localDir(spec, dir),
    maxDisk: spec.maxDisk ?? 0,
    ...(spec.maxMemory === undefined ? {} : { maxMemory: spec.maxMemory }),
    ...(spec.spaceWaitMs === undefined ? {} : { spaceWaitMs: spec.spaceWaitMs }),
    ...(spec.packs === undefined ? {} : { packs: spec.packs }),
  }
}

export function openLocalDirect(
  spec: LocalSpec,
  dir: string,
  metadata: MetadataStore | undefined,
  hooks: LocalStoreHooks,
): Promise<LocalStore> {
  if (metadata === undefined)
    throw new Error('a local store opened directly needs the metadata store')
  const spaceWaitMs = spec.spaceWaitMs === undefined ? {} : { spaceWaitMs: spec.spaceWaitMs }
  if (spec.kind === 'memory') {
    const cap = spec.maxDisk === undefined ? {} : { maxDisk: spec.maxDisk }
    return MemoryLocalStore.open({ metadata, ...hooks, ...cap, ...spaceWaitMs })
  }
  return FsLocalStore.open({
    metadata,
    ...hooks,
    dir: localDir(spec, dir),
    maxDisk: spec.maxDisk ?? 0,
    ...(spec.maxMemory === undefined ? {} : { maxMemory: spec.maxMemory }),
    ...spaceWaitMs,
    ...(spec.packs === undefined ? {} : { packs: spec.packs }),
  })
}
