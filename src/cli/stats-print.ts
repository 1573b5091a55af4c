/**
 * `stats` and `gc` results for people: one figure per line, sizes and times in units, names
 * that say what is counted. `--json` prints the raw figures instead (unchanged field names,
 * which scripts and the HTTP API share).
 */
import type { BlockStoreStats } from '../core/block-store.js'
import type { GarbageCollectionResult } from '../core/gc.js'
import { formatElapsed, formatSize } from '../core/units.js'

const of = (used: number, max: number): string =>
  max > 0
    ? `${formatSize(used)} of ${formatSize(max)} (${((used / max) * 100).toFixed(0)}%)`
    : `${formatSize(used)} (no limit)`

const table = (rows: readonly (readonly [string, string])[]): string[] => {
  const w = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`)
}

/** Human lines of engine statistics. */
export function describeStats(s: BlockStoreStats): string[] {
  const remote = !s.hasRemote
    ? 'none (local-only)'
    : s.remoteHealthy
      ? 'healthy'
      : `unreachable for ${formatElapsed(s.outageDurationSeconds * 1000)} (eviction suspended)`
  const lookups = s.readBufferHits + s.readBufferMisses
  const requests = Object.entries(s.remoteRequests)
  return table([
    // The metadata store knows every payload; the local tier only those it has loaded.
    ['payloads', String(s.contentCount)],
    ['payloads loaded locally', `${s.fileCount} (touched or recovered since this engine opened)`],
    ['blocks', String(s.blocksTotal)],
    ['blocks dirty', `${s.blocksDirty} (written, not yet flushed)`],
    ['blocks awaiting upload', `${s.blocksLocal} (flushed, only on local disk)`],
    ['blocks remote', `${s.blocksRemote} (${s.blocksRemoteCached} also cached locally)`],
    ['local disk', of(s.localDiskUsed, s.localDiskMax)],
    ['write buffers', of(s.localMemUsed, s.localMemMax)],
    ['read buffer', `${of(s.readBufferUsed, s.readBufferMax)}, ${s.readBufferEntries} blocks`],
    [
      'read buffer hits',
      `${s.readBufferHits} of ${lookups}${lookups > 0 ? ` (${((s.readBufferHits / lookups) * 100).toFixed(0)}%)` : ''}, ${s.prefetchHits} from prefetch`,
    ],
    ['remote', remote],
    [
      'oldest byte not uploaded',
      s.oldestUnuploadedAgeMs > 0 ? `${formatElapsed(s.oldestUnuploadedAgeMs)} old` : 'none',
    ],
    [
      'uploads',
      `${s.uploadsCompleted} done, ${s.uploadsInFlight} running, ${s.uploadsFailed} failed`,
    ],
    ['deduplicated uploads', String(s.dedupHits)],
    ['uploaded', formatSize(s.bytesUploaded)],
    ['downloaded', formatSize(s.bytesDownloaded)],
    ['reads refused offline', String(s.offlineReadsBlocked)],
    // Each one is a remote object (or range) that failed verification and was not served:
    // data damaged in the remote store, worth an alert even while the remote stays healthy.
    [
      'integrity failures',
      s.integrityFailures === 0
        ? '0'
        : `${s.integrityFailures} (fetched blocks refused: bytes did not match their hash)`,
    ],
    [
      'remote requests',
      requests.length === 0 ? 'none' : requests.map(([k, v]) => `${k} ${v}`).join(', '),
    ],
  ])
}

/** Human lines of a garbage collection result. */
export function describeGc(r: GarbageCollectionResult): string[] {
  const verb = r.dryRun ? 'would delete' : 'deleted'
  return table([
    [
      r.dryRun ? 'dry run' : 'collected',
      r.dryRun
        ? `${verb} ${r.orphaned} objects (${formatSize(r.bytesOrphaned)})`
        : `${verb} ${r.deleted} objects (${formatSize(r.bytesReclaimed)})`,
    ],
    ['objects scanned', String(r.objectsScanned)],
    ['referenced (kept)', String(r.referenced)],
    ['younger than grace (kept)', String(r.young)],
    ['orphaned', `${r.orphaned} (${formatSize(r.bytesOrphaned)})`],
    ['raced (kept)', String(r.raced)],
    ['rows reaped', String(r.rowsReaped)],
    ['errors', `${r.errors}${r.errorSamples.length > 0 ? `: ${r.errorSamples[0]}` : ''}`],
    ['stopped early', r.stoppedEarly ? 'yes (--max-deletions or an error)' : 'no'],
    ['took', formatElapsed(r.durationMs)],
  ])
}
