/**
 * The one way tests, the reliability campaigns and the benchmarks open an engine: over a chosen
 * local tier, remote and metadata store, in a fresh temp dir or a given one, with quick test
 * syncer settings. It returns the engine with handles on its parts (the stores, the counting
 * fault-injecting remote, the directory) and can close and reopen the engine over them.
 *
 * Parts the fixture opens itself (memory and fs stores, SQLite, PostgreSQL) outlive a reopen
 * and are closed by {@link TestEngine.close}; parts given by config are opened and closed by
 * the engine each time, as in production; parts given by value stay the caller's.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BlockStoreFixture, ReopenOptions } from '../../src/conformance/index.js'
import type { FileBlock } from '../../src/core/block.js'
import {
  formatBlockId,
  formatChunkIndexKey,
  formatContentKey,
  hasIndexTrailer,
} from '../../src/core/keys.js'
import type { LocalStore } from '../../src/core/local-store.js'
import type { MetadataStore } from '../../src/core/metadata-store.js'
import type { RemoteStore } from '../../src/core/remote-store.js'
import type { Engine } from '../../src/engine/engine.js'
import { openBlockStore } from '../../src/engine/index.js'
import type { BlockStoreOptions, SyncerConfig } from '../../src/engine/options.js'
import type { CountingRemote } from './counting-remote.js'
import {
  localConfig,
  localDir,
  openLocalDirect,
  openParts,
  type PartsOptions,
} from './engine-parts.js'
import { waitFor } from './wait-for.js'

export type { LocalOpening, LocalSpec, MetadataSpec, RemoteSpec } from './engine-parts.js'

/** Health probed every 50 ms with a threshold of 1, uploads every 50 ms once idle 50 ms. */
export const fastSyncer: SyncerConfig = {
  healthIntervalMs: 50,
  unhealthyIntervalMs: 50,
  failureThreshold: 1,
  probeTimeoutMs: 1000,
  uploadIntervalMs: 50,
  uploadDelayMs: 50,
}

/** {@link fastSyncer} without background uploads: blocks upload when the test drains them. */
export const manualUploads: SyncerConfig = { ...fastSyncer, uploadIntervalMs: 3_600_000 }

/** Engine options passed through as given (absent or undefined: the engine's default). */
type EngineKnobs = Pick<
  BlockStoreOptions,
  'prefetchWorkers' | 'rangedReadThreshold' | 'durability' | 'cacheFetchedBlocks' | 'retention'
>
const KNOBS = [
  'prefetchWorkers',
  'rangedReadThreshold',
  'durability',
  'cacheFetchedBlocks',
  'retention',
] as const satisfies readonly (keyof EngineKnobs)[]

/** Options of {@link openTestEngine}. */
export interface TestEngineOptions extends PartsOptions, EngineKnobs {
  /** The engine's directory, kept on close (default: a fresh temp dir, removed on close). */
  readonly dir?: string
  /** Parent of the fresh temp dir when `dir` is not given (default the OS temp dir). */
  readonly tempDirIn?: string
  /** The syncer settings, whole (default {@link manualUploads}). */
  readonly syncer?: SyncerConfig
  /** Read buffer bytes (default 64 MiB; given as undefined: the engine's deduced default). */
  readonly readBufferBytes?: number | undefined
}

/** An open engine and handles on its parts; closing closes the engine and what was opened here. */
export interface TestEngine extends AsyncDisposable {
  /** The engine (a new one after {@link reopen}). */
  readonly engine: Engine
  readonly dir: string
  /** The local store (local opened `'direct'` only). */
  readonly local: LocalStore
  /** The counting fault-injecting remote (with `faults` only). */
  readonly remote: CountingRemote
  /** The metadata store (not given by config). */
  readonly metadata: MetadataStore
  /** Row of block `idx` of `payloadId`. */
  row(payloadId: string, idx: number): Promise<FileBlock>
  /** Closes the engine and opens it again over the same parts (`wipeLocal`: local dir emptied). */
  reopen(options?: { wipeLocal?: boolean }): Promise<Engine>
  close(): Promise<void>
}

const DEFAULT_READ_BUFFER_BYTES = 64 * 1024 * 1024

/** Opens an engine as `options` say (see {@link TestEngineOptions} for the defaults). */
export async function openTestEngine(options: TestEngineOptions = {}): Promise<TestEngine> {
  const temp = options.dir === undefined
  const dir = options.dir ?? (await mkdtemp(join(options.tempDirIn ?? tmpdir(), 'engine-')))
  if (!temp) await mkdir(dir, { recursive: true })
  /** Closers of the stores opened here, in opening order. */
  const owned: (() => Promise<void>)[] = []
  const cleanUp = async (): Promise<unknown[]> => {
    const errors: unknown[] = []
    for (const close of owned.reverse()) await close().catch((err: unknown) => errors.push(err))
    if (temp) await rm(dir, { recursive: true, force: true })
    return errors
  }
  try {
    const parts = await openParts(options, dir, owned)
    let local: LocalStore | undefined
    const open = (): Promise<Engine> =>
      openBlockStore({
        local:
          parts.local.open === 'config'
            ? localConfig(parts.local, dir)
            : async (hooks) => {
                local = await openLocalDirect(parts.local, dir, parts.metadataStore, hooks)
                return local
              },
        remote: parts.remote,
        metadata: parts.metadata,
        ...engineKnobs(options),
        syncer: options.syncer ?? manualUploads,
      })
    let engine = await open()
    let closing: Promise<void> | undefined
    const t: TestEngine = {
      get engine() {
        return engine
      },
      dir,
      get local(): LocalStore {
        if (local === undefined) throw new Error('the local store was not opened directly')
        return local
      },
      get remote(): CountingRemote {
        if (parts.counting === undefined) throw new Error('no counting remote (faults off)')
        return parts.counting
      },
      get metadata(): MetadataStore {
        if (parts.metadataStore === undefined) throw new Error('the engine opened the metadata')
        return parts.metadataStore
      },
      row: (payloadId, idx) => t.metadata.getFileBlock(formatBlockId(payloadId, idx)),
      async reopen(o) {
        await engine.close()
        if (o?.wipeLocal === true && parts.local.kind === 'fs') {
          await rm(localDir(parts.local, dir), { recursive: true, force: true })
        }
        engine = await open()
        return engine
      },
      close() {
        // Everything is closed and removed even when the engine fails to close; then the
        // first failure is thrown.
        closing ??= (async () => {
          const errors: unknown[] = []
          await engine.close().catch((err: unknown) => errors.push(err))
          errors.push(...(await cleanUp()))
          if (errors.length > 0) throw errors[0]
        })()
        return closing
      },
      [Symbol.asyncDispose]: () => t.close(),
    }
    return t
  } catch (err) {
    await cleanUp()
    throw err
  }
}

function engineKnobs(options: TestEngineOptions): Partial<BlockStoreOptions> {
  const out: Record<string, unknown> = {}
  for (const k of KNOBS) if (options[k] !== undefined) out[k] = options[k]
  const bufferGiven = Object.hasOwn(options, 'readBufferBytes')
  const readBufferBytes = bufferGiven ? options.readBufferBytes : DEFAULT_READ_BUFFER_BYTES
  if (readBufferBytes !== undefined) out.readBufferBytes = readBufferBytes
  return out as Partial<BlockStoreOptions>
}

/** Writes, flushes, uploads and drops the local copies: the payload is then remote-only. */
export async function makeRemoteOnly(t: TestEngine, pid: string, data: Uint8Array): Promise<void> {
  await t.engine.writeAt(pid, data, 0)
  await t.engine.flush(pid)
  const report = await t.engine.drainAllUploads()
  if (report.failed.length > 0) throw new Error(`drain failed: ${report.failed[0]?.message}`)
  await t.engine.evict({ payloadId: pid })
}

/**
 * Rewrites block `idx` of `pid` (Remote, uploaded by this version: its index after the block)
 * the way earlier versions stored it: the block alone under its plain content key, the index
 * in `{key}.chunks`, the row naming the plain key. Returns the plain key.
 */
export async function asSeparateIndex(t: TestEngine, pid: string, idx = 0): Promise<string> {
  const row = await t.metadata.getFileBlock(`${pid}/${idx}`)
  if (!hasIndexTrailer(row.blockStoreKey))
    throw new Error(`${row.blockStoreKey}: no index after the block`)
  const object = await t.remote.inner.readBlock(row.blockStoreKey)
  const plain = formatContentKey(row.hash)
  await t.remote.inner.writeBlock(plain, object.subarray(0, row.dataSize))
  await t.remote.inner.writeBlock(formatChunkIndexKey(plain), object.subarray(row.dataSize))
  await t.remote.inner.deleteBlock(row.blockStoreKey)
  await t.metadata.putFileBlock({ ...row, blockStoreKey: plain })
  return plain
}

/** Sets the injected outage and waits until the engine's health monitor has seen it. */
export async function setOutage(t: TestEngine, down: boolean): Promise<void> {
  t.remote.down = down
  await waitFor(
    `the health monitor to see the remote go ${down ? 'down' : 'up'}`,
    async () => (await t.engine.stats()).remoteHealthy === !down,
  )
}

/** Parts that survive an engine restart, and how to dispose of them. */
export interface DurableParts {
  readonly remote: RemoteStore
  readonly metadata: MetadataStore
  dispose(): Promise<void>
}

const disposers = new WeakMap<MetadataStore, () => Promise<void>>()
const reopeners = new WeakMap<object, (options?: ReopenOptions) => Promise<BlockStoreFixture>>()

/**
 * A BlockStore conformance fixture: fs local (by config) in a temp dir over the given remote,
 * behind the fault-injecting remote, and metadata; its reopen keeps them.
 */
export async function fsEngineFixture(parts: DurableParts): Promise<BlockStoreFixture> {
  const t = await openTestEngine({
    local: { kind: 'fs', open: 'config' },
    remote: { store: parts.remote },
    metadata: { store: parts.metadata },
    syncer: fastSyncer,
  })
  const fixture = (): BlockStoreFixture => {
    const f = { store: t.engine, metadata: t.metadata, remote: t.remote }
    reopeners.set(t.engine, async (options) => {
      await t.reopen(
        options?.wipeLocal === undefined ? undefined : { wipeLocal: options.wipeLocal },
      )
      return fixture()
    })
    return f
  }
  disposers.set(parts.metadata, async () => {
    await t.close()
    await parts.dispose()
  })
  return fixture()
}

/**
 * The suite's `reopen` for a {@link fsEngineFixture}: closes its engine and opens a new one on
 * the same local directory (or a wiped one), remote and metadata.
 */
export function reopenFsEngineFixture(
  fixture: BlockStoreFixture,
  options?: ReopenOptions,
): Promise<BlockStoreFixture> {
  const reopen = reopeners.get(fixture.store)
  if (reopen === undefined) throw new Error('not a fixture of fsEngineFixture')
  return reopen(options)
}

/** Disposes what {@link fsEngineFixture} created (after the suite closed the engine). */
export async function destroyFsEngineFixture(fixture: BlockStoreFixture): Promise<void> {
  await disposers.get(fixture.metadata)?.()
}
