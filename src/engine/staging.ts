/**
 * The engine's reserved namespace: staging payloads of whole-payload replacements, kept out of
 * listings and counts, and collected when the engine opens (leftovers of a process killed
 * between a staging flush and its rename).
 */
import { randomBytes } from 'node:crypto'
import type { AbortOptions } from '../core/abort.js'
import type { LocalStore } from '../core/local-store.js'
import type {
  ListPayloadsOptions,
  MetadataStore,
  PayloadPage,
  PayloadRecord,
} from '../core/metadata-store.js'
import {
  isReservedPayloadId,
  ReservedPayloadPrefix,
  StagingPayloadPrefix,
} from '../core/payload-id.js'

const DEFAULT_PAGE = 1000
const MAX_PAGE = 10_000

/** A fresh staging payload ID (time first, so leftovers list oldest first). */
export function newStagingId(): string {
  return `${StagingPayloadPrefix}${Date.now().toString(36)}-${randomBytes(8).toString('hex')}`
}

/** A page of user payloads: the metadata store's pages without the reserved IDs. */
export async function listUserPayloads(
  metadata: MetadataStore,
  options?: ListPayloadsOptions,
): Promise<PayloadPage> {
  const limit = Math.min(options?.limit ?? DEFAULT_PAGE, MAX_PAGE)
  if (options?.prefix?.startsWith(ReservedPayloadPrefix) === true) {
    // Validated by the store all the same, so bad options still get their error.
    await metadata.listPayloads({ ...options, limit: 1 })
    return { items: [] }
  }
  const items: PayloadRecord[] = []
  let cursor = options?.cursor
  for (;;) {
    const page = await metadata.listPayloads({ ...options, cursor, limit })
    for (const [i, record] of page.items.entries()) {
      if (isReservedPayloadId(record.id)) continue
      items.push(record)
      if (items.length < limit) continue
      const more = i < page.items.length - 1 || page.nextCursor !== undefined
      return more ? { items, nextCursor: record.id } : { items }
    }
    if (page.nextCursor === undefined) return { items }
    cursor = page.nextCursor
  }
}

/** Payload records in the reserved namespace (for statistics: they are not user payloads). */
export async function countReservedRecords(
  metadata: MetadataStore,
  options?: AbortOptions,
): Promise<number> {
  let n = 0
  let cursor: string | undefined
  do {
    const page = await metadata.listPayloads({
      ...options,
      prefix: ReservedPayloadPrefix,
      cursor,
      limit: MAX_PAGE,
    })
    n += page.items.length
    cursor = page.nextCursor
  } while (cursor !== undefined)
  return n
}

/**
 * Deletes every staging payload that has a record: a replacement whose process died after its
 * staging flush and before its rename (one that died earlier left no record, and the local
 * store's recovery already dropped its bytes). Deleting is crash-safe (the record goes first),
 * so a kill during this just leaves the rest for the next open. Returns how many were deleted.
 *
 * The metadata store may be shared by other nodes: a replacement of another node caught between
 * its staging flush and its rename loses its staging payload, and its commit then fails with
 * BS_CONTENT_NOT_FOUND, leaving its destination untouched.
 */
export async function collectStagingLeftovers(
  local: LocalStore,
  metadata: MetadataStore,
  options?: AbortOptions,
): Promise<number> {
  let deleted = 0
  for (;;) {
    const page = await metadata.listPayloads({
      ...options,
      prefix: StagingPayloadPrefix,
      limit: DEFAULT_PAGE,
    })
    for (const record of page.items) {
      await local.delete(record.id, options)
      deleted++
    }
    if (page.nextCursor === undefined || page.items.length === 0) return deleted
  }
}
