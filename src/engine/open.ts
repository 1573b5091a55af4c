/**
 * `openBlockStore`: builds the engine from options, deducing unset limits from the machine,
 * and starts it. On any failure everything opened so far is closed again.
 */
import { DefaultPrefetchWorkers } from '../core/constants.js'
import { deduceDefaults } from '../core/defaults.js'
import { BlockStoreError, isBlockStoreError } from '../core/errors.js'
import type { LocalStore, LocalStoreHooks } from '../core/local-store.js'
import { RetentionPolicy, validateRetentionPolicy } from '../core/retention.js'
import { createSystemDetector } from '../platform/system-detector.js'
import { PrefetchGrowthFactor } from '../readbuffer/adaptive-window.js'
import { createReadBuffer } from '../readbuffer/create-read-buffer.js'
import { createPrefetcher } from '../readbuffer/prefetcher.js'
import { Syncer } from '../sync/syncer.js'
import { AccessPattern } from './access-pattern.js'
import { BackgroundTasks } from './background.js'
import { Engine } from './engine.js'
import { type BlockStoreOptions, DEFAULT_RANGED_READ_THRESHOLD } from './options.js'
import { openLocal, openMetadata, openRemote, type Part } from './parts.js'
import { loadBlock, type ReadContext } from './read-path.js'
import { collectStagingLeftovers } from './staging.js'

/**
 * Opens a block store.
 * @example
 * await using store = await openBlockStore({
 *   local: { kind: 'fs', dir: './data/blocks' },
 *   metadata: { kind: 'sqlite', path: './data/meta.db' },
 *   remote: { kind: 's3', bucket: 'my-bucket', endpoint: 'http://127.0.0.1:7480' },
 * })
 * @throws {BlockStoreError} BS_INVALID_CONFIG for bad options; the stores' open errors.
 */
export async function openBlockStore(options: BlockStoreOptions): Promise<Engine> {
  const defaults = deduceDefaults(options.detector ?? createSystemDetector())
  const policy = options.retention?.policy ?? RetentionPolicy.LRU
  const ttlMs = options.retention?.ttlMs ?? 0
  validateRetentionPolicy(policy, ttlMs)
  const durability = options.durability ?? 'local'
  if (durability !== 'local' && durability !== 'remote') {
    throw new BlockStoreError('BS_INVALID_CONFIG', `durability must be "local" or "remote"`)
  }
  const sync = options.syncer ?? {}
  const parallelUploads = Math.max(sync.parallelUploads ?? defaults.parallelSyncs, 1)
  const parallelFetches = Math.max(sync.parallelFetches ?? defaults.parallelFetches, 1)
  const opened: Part<{ close(): Promise<void> }>[] = []
  try {
    const metadata = await openMetadata(options.metadata)
    opened.push(metadata)
    const remote = await openRemote(options.remote, parallelUploads + parallelFetches)
    if (remote !== undefined) opened.push(remote)
    if (remote === undefined && durability === 'remote') {
      throw new BlockStoreError('BS_INVALID_CONFIG', 'durability "remote" needs a remote store')
    }
    // The local store calls back into the syncer (read-modify-write of remote-only blocks),
    // which needs the local store: the hooks resolve the syncer when they are called.
    let syncer: Syncer | undefined
    const hooks: LocalStoreHooks = {
      loadRemoteBlock: async (row, signal) => {
        const fetcher = syncer?.fetcher
        if (fetcher === undefined) {
          throw new BlockStoreError('BS_REMOTE_UNAVAILABLE', `no remote store to load ${row.id}`)
        }
        return fetcher.fetchBlock(row, { signal })
      },
    }
    const evictable = remote !== undefined && policy !== RetentionPolicy.Pin
    const local: Part<LocalStore> = await openLocal(
      options.local,
      metadata.store,
      hooks,
      defaults,
      { policy, ttlMs },
      evictable,
    )
    opened.push(local)
    // Before any upload starts: staging leftovers are deleted, never uploaded.
    await collectStagingLeftovers(local.store, metadata.store)
    syncer = new Syncer({
      local: local.store,
      remote: remote?.store,
      metadata: metadata.store,
      parallelUploads,
      parallelFetches,
      uploadIntervalMs: sync.uploadIntervalMs,
      uploadDelayMs: sync.uploadDelayMs,
      fetchBudgetMs: sync.fetchBudgetMs,
      health: {
        intervalMs: sync.healthIntervalMs,
        unhealthyIntervalMs: sync.unhealthyIntervalMs,
        failureThreshold: sync.failureThreshold,
        probeTimeoutMs: sync.probeTimeoutMs,
      },
    })
    // Registered before start so an outage seen by the eager probe suspends eviction.
    const liveSyncer = syncer
    liveSyncer.health.onTransition((healthy) =>
      local.store.setEvictionEnabled(healthy && evictable),
    )
    await liveSyncer.start()
    local.store.setEvictionEnabled(evictable && liveSyncer.isRemoteHealthy())
    const buffer = createReadBuffer(options.readBufferBytes ?? defaults.readBufferSize)
    const readContext: ReadContext = {
      local: local.store,
      metadata: metadata.store,
      remote: remote?.store,
      fetcher: liveSyncer.fetcher,
      buffer,
      rangedReadThreshold: options.rangedReadThreshold ?? DEFAULT_RANGED_READ_THRESHOLD,
      pattern: new AccessPattern(),
      background: new BackgroundTasks(),
      cacheFetched: options.cacheFetchedBlocks ?? 'random',
    }
    const prefetchWorkers = options.prefetchWorkers ?? DefaultPrefetchWorkers
    const prefetcher = createPrefetcher({
      buffer,
      load: (pid, idx, signal) => loadBlock(readContext, pid, idx, signal),
      workers: prefetchWorkers,
      // Loads beyond the fetcher's parallelism would only queue behind its slots.
      maxWorkers:
        options.prefetchMaxWorkers ??
        Math.max(
          prefetchWorkers,
          Math.min(prefetchWorkers * PrefetchGrowthFactor, parallelFetches),
        ),
      isLocal: (pid, idx) => local.store.isBlockLocal(pid, idx),
      isRemoteHealthy: () => liveSyncer.isRemoteHealthy(),
    })
    buffer.attachObserver(prefetcher)
    return new Engine({
      local,
      remote,
      metadata,
      syncer: liveSyncer,
      buffer,
      prefetcher,
      durability,
      read: readContext,
    })
  } catch (err) {
    for (const part of opened.reverse()) {
      if (part.owned) await part.store.close().catch(() => {})
    }
    if (isBlockStoreError(err) || !(err instanceof Error)) throw err
    throw new BlockStoreError('BS_INVALID_CONFIG', `cannot open block store: ${err.message}`, {
      cause: err,
    })
  }
}
