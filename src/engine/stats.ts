/**
 * Engine statistics: block counts by where the bytes physically are, space, read buffer, health,
 * uploads, remote traffic and the age of the oldest byte not yet safely remote.
 */
import type { AbortOptions } from '../core/abort.js'
import type { BlockStoreStats } from '../core/block-store.js'
import { isReservedPayloadId } from '../core/payload-id.js'
import type { EngineParts } from './parts.js'
import { countReservedRecords } from './staging.js'

/** Gathers every statistic (block counts come from one aggregate query of the metadata store). */
export async function collectStats(
  p: EngineParts,
  dirtySince: ReadonlyMap<string, number>,
  options?: AbortOptions,
): Promise<BlockStoreStats> {
  const local = p.local.store.stats()
  const sync = p.syncer.stats()
  const buffer = p.buffer.stats()
  const remote = p.remote?.store.stats()
  const counts = await p.metadata.store.countBlocks(options)
  let oldest = counts.oldestUnsyncedAccess ?? Number.POSITIVE_INFINITY
  for (const at of dirtySince.values()) oldest = Math.min(oldest, at)
  // Staging payloads of replacements in progress are not user payloads.
  const staged = p.local.store.listFiles().filter(isReservedPayloadId).length
  const fileCount = local.fileCount - staged
  const payloads = counts.payloads - (await countReservedRecords(p.metadata.store, options))
  const contentCount = Math.max(payloads, fileCount)
  const usedSize = local.diskUsed
  const totalSize = local.maxDisk
  // This node's new blocks still only in write buffers have no row to count yet.
  const dirty = counts.dirty + (local.unrecordedDirtyBlocks ?? 0)
  return {
    fileCount,
    blocksDirty: dirty,
    blocksLocal: counts.local,
    blocksRemote: counts.remote,
    blocksRemoteCached: counts.remoteCached,
    blocksTotal: dirty + counts.local + counts.remote,
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
    integrityFailures: sync.fetches?.integrityFailures ?? 0,
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
