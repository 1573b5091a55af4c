/**
 * Reaping of released rows. The engine never lowers a reference count; a row at 0 was
 * released by its owner through the MetadataStore API. Such a row is deleted only when
 * nothing can still need it: no local copy, a remote key under the run's prefix whose object
 * is gone, and no payload record for its payload (so no live payload reads it and no read
 * turns from an I/O error into silent zeros). Rows are deleted by version, so a row changed
 * meanwhile is left alone.
 */
import type { AbortOptions } from '../core/abort.js'
import { isRemote } from '../core/block.js'
import { isBlockStoreError } from '../core/errors.js'
import { parseBlockId } from '../core/keys.js'
import type { MetadataStore } from '../core/metadata-store.js'
import type { RemoteStore } from '../core/remote-store.js'
import type { GcRun } from './gc-run.js'

/** Rows examined per run (released rows are rare; the next run continues). */
export const REAP_LIMIT = 10_000

/** Deletes released rows whose object is gone; counts into `run`. */
export async function reapReleasedRows(
  metadata: MetadataStore,
  remote: RemoteStore,
  prefix: string,
  run: GcRun,
  options?: AbortOptions,
): Promise<void> {
  for (const row of await metadata.listUnreferenced(REAP_LIMIT, options)) {
    const key = row.blockStoreKey
    if (row.refCount !== 0 || row.localPath !== '' || key === '' || !isRemote(row)) continue
    if (!key.startsWith(prefix)) continue
    const address = parseBlockId(row.id)
    if (address === undefined) continue
    try {
      if ((await metadata.getPayload(address.payloadId, options)) !== undefined) continue
      if ((await remote.statBlock(key, options)) !== undefined) continue
      if (await metadata.deleteFileBlock(row.id, { ...options, ifVersion: row.version })) {
        run.counters.rowsReaped++
      }
    } catch (err) {
      if (options?.signal?.aborted) throw err
      if (!isBlockStoreError(err, 'BS_FILE_BLOCK_NOT_FOUND')) run.error(`reap ${row.id}`, err)
    }
  }
}
