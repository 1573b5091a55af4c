/**
 * Engine statistics: block counts by physical presence (trap 23), space, read buffer, health,
 * uploads, remote traffic and the age of the oldest byte not yet safely remote.
 */
import type { AbortOptions } from '../core/abort.js'
import { BlockState } from '../core/block.js'
import type { BlockStoreStats } from '../core/block-store.js'
import type { EngineParts } from './engine.js'

/** Gathers every statistic (walks the block rows of every payload: O(rows)). */
export async function collectStats(
  p: EngineParts,
  dirtySince: ReadonlyMap<string, number>,
  options?: AbortOptions,
): Promise<BlockStoreStats> {
  const local = p.local.store.stats()
  const sync = p.syncer.stats()
  const buffer = p.buffer.stats()
  const remote = p.remote?.store.stats()
  const counts = { dirty: 0, local: 0, remote: 0, cached: 0 }
  let oldest = Number.POSITIVE_INFINITY
  for (const at of dirtySince.values()) oldest = Math.min(oldest, at)
  // Payloads with a stored record, plus those written but never flushed (no record yet, but
  // Dirty rows): the local store tracks those.
  const ids = new Set<string>()
  let cursor: string | undefined
  do {
    const page = await p.metadata.store.listPayloads({ ...options, cursor, limit: 1000 })
    for (const record of page.items) ids.add(record.id)
    cursor = page.nextCursor
  } while (cursor !== undefined)
  const payloads = ids.size
  for (const id of p.local.store.listFiles()) ids.add(id)
  for (const id of ids) {
    for (const row of await p.metadata.store.listFileBlocks(id, options)) {
      if (row.state === BlockState.Remote) {
        counts.remote++
        if (row.localPath !== '') counts.cached++
        continue
      }
      if (row.state === BlockState.Dirty) counts.dirty++
      else counts.local++
      oldest = Math.min(oldest, row.lastAccess)
    }
  }
  const contentCount = Math.max(payloads, local.fileCount)
  const usedSize = local.diskUsed
  const totalSize = local.maxDisk
  return {
    fileCount: local.fileCount,
    blocksDirty: counts.dirty,
    blocksLocal: counts.local,
    blocksRemote: counts.remote,
    blocksRemoteCached: counts.cached,
    blocksTotal: counts.dirty + counts.local + counts.remote,
    localDiskUsed: local.diskUsed,
    localDiskMax: local.maxDisk,
    localMemUsed: local.memUsed,
    localMemMax: local.maxMemory,
    readBufferEntries: buffer.entries,
    readBufferUsed: buffer.bytes,
    readBufferMax: buffer.maxBytes,
    readBufferHits: buffer.hits,
    readBufferMisses: buffer.misses,
    prefetchHits: buffer.prefetchHits,
    hasRemote: sync.hasRemote,
    remoteHealthy: sync.remoteHealthy,
    evictionSuspended: sync.hasRemote && !sync.remoteHealthy,
    outageDurationSeconds: Math.floor(sync.outageDurationMs / 1000),
    offlineReadsBlocked: sync.fetches?.offlineReadsBlocked ?? 0,
    oldestUnuploadedAgeMs:
      sync.hasRemote && Number.isFinite(oldest) ? Math.max(0, Date.now() - oldest) : 0,
    uploadsCompleted: sync.uploads?.uploaded ?? 0,
    uploadsFailed: sync.uploads?.failed ?? 0,
    uploadsInFlight: sync.uploads?.inFlight ?? 0,
    dedupHits: sync.uploads?.deduplicated ?? 0,
    bytesUploaded: sync.uploads?.bytesUploaded ?? 0,
    bytesDownloaded: sync.fetches?.bytesDownloaded ?? 0,
    remoteRequests: remote?.requests ?? {},
    totalSize,
    usedSize,
    availableSize: totalSize > 0 ? Math.max(0, totalSize - usedSize) : 0,
    contentCount,
    averageSize: contentCount > 0 ? Math.floor(usedSize / contentCount) : 0,
  }
}
