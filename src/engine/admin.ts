/**
 * Administrative operations of the engine: the health report (healthy, degraded while the
 * remote is down, unhealthy when the local tier is), eviction of synced local copies, the
 * upload drain report and garbage collection.
 */
import type { AbortOptions } from '../core/abort.js'
import type { DrainReport, EvictOptions, EvictReport } from '../core/block-store.js'
import { BlockStoreError, isBlockStoreError } from '../core/errors.js'
import type { GarbageCollectionOptions, GarbageCollectionResult } from '../core/gc.js'
import type { HealthReport } from '../core/health.js'
import { parseBlockId } from '../core/keys.js'
import { assertPayloadId } from '../core/payload-id.js'
import { collectGarbage } from '../gc/collect-garbage.js'
import type { EngineParts } from './parts.js'

/** The engine's health: local first (unhealthy), then the remote (degraded). */
export async function checkHealth(p: EngineParts, o?: AbortOptions): Promise<HealthReport> {
  const t0 = performance.now()
  const at = (status: HealthReport['status'], message?: string): HealthReport => ({
    status,
    ...(message === undefined ? {} : { message }),
    checkedAt: Date.now(),
    latencyMs: performance.now() - t0,
  })
  if (o?.signal?.aborted) return at('unknown', 'health check cancelled')
  const local = await p.local.store.healthcheck(o)
  if (local.status === 'unknown') return at('unknown', local.message)
  if (local.status !== 'healthy') return at('unhealthy', `local: ${local.message ?? local.status}`)
  if (p.remote !== undefined && !p.syncer.isRemoteHealthy()) {
    const why = p.syncer.health.state().lastError ?? 'probe failing'
    return at('degraded', `remote unreachable: ${why}`)
  }
  return at('healthy')
}

/**
 * Clears the read buffer and drops local copies of blocks that are safely remote (never
 * anything else: the local store re-checks each row under the block lock).
 */
export async function evict(p: EngineParts, options: EvictOptions): Promise<EvictReport> {
  if (options.payloadId !== undefined) assertPayloadId(options.payloadId)
  let readBufferEntriesCleared = 0
  if (options.readBuffer !== false) {
    const pid = options.payloadId
    if (pid === undefined) readBufferEntriesCleared = p.buffer.clear()
    else {
      const before = p.buffer.stats().entries
      p.buffer.invalidateAndReset(pid)
      readBufferEntriesCleared = before - p.buffer.stats().entries
    }
  }
  let localBlocksEvicted = 0
  let bytesFreed = 0
  if (options.local !== false) {
    // Fetched blocks still being cached locally would land after the eviction.
    await p.read.background.idle()
    for (const row of await p.metadata.store.listRemoteBlocks(0, options)) {
      const at = parseBlockId(row.id)
      if (at === undefined) continue
      if (options.payloadId !== undefined && at.payloadId !== options.payloadId) continue
      if (await p.local.store.evictBlock(at.payloadId, at.blockIdx, options)) {
        localBlocksEvicted++
        bytesFreed += row.dataSize
      }
    }
  }
  return { readBufferEntriesCleared, localBlocksEvicted, bytesFreed }
}

/** Uploads every Local block now; each failed block is reported with its error code. */
export async function drainUploads(p: EngineParts, o?: AbortOptions): Promise<DrainReport> {
  const t0 = performance.now()
  const report = await p.syncer.drain(o)
  const failed = report.failed.map((f) => ({
    blockId: f.blockId,
    code: isBlockStoreError(f.error) ? f.error.code : 'BS_UNAVAILABLE',
    message: f.error.message,
  }))
  return {
    uploaded: report.uploaded,
    deduplicated: report.deduplicated,
    bytesUploaded: report.bytesUploaded,
    failed,
    durationMs: performance.now() - t0,
  }
}

/**
 * Collects garbage in the engine's remote store against its metadata store.
 * @throws {BlockStoreError} BS_NOT_SUPPORTED without a remote store.
 */
export async function collectEngineGarbage(
  p: EngineParts,
  options: GarbageCollectionOptions,
): Promise<GarbageCollectionResult> {
  const remote = p.remote?.store
  if (remote === undefined) {
    throw new BlockStoreError('BS_NOT_SUPPORTED', 'garbage collection needs a remote store')
  }
  return collectGarbage({ ...options, metadata: p.metadata.store, remote })
}
