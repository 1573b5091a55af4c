/**
 * Payload sizes of payloads the recovery walk did not meet: a payload with no file left in the
 * store (every block evicted after its upload, or never local) has no name in any shard. A block
 * row is committed (and may be uploaded and evicted) before the payload record learns the size
 * its write reached, so such a payload's remote rows may reach past its record; left as it is,
 * those bytes would stay hidden until the payload next has a file, then appear where the size
 * said nothing was. The crash campaign found exactly that: an unflushed whole-block write,
 * uploaded and evicted before the kill, invisible after one restart and visible after the next.
 * Covering them at once shows the unflushed write whole, which a crash before its flush allows.
 */
import { isRemote } from '../../core/block.js'
import { BlockSize } from '../../core/constants.js'
import { parseBlockId } from '../../core/keys.js'
import type { MetadataStore } from '../../core/metadata-store.js'

const PAGE = 10_000

/** Extends the record of every payload not in `walked` to cover its remote rows; returns how many. */
export async function coverRemoteRows(
  metadata: MetadataStore,
  walked: ReadonlySet<string>,
): Promise<number> {
  let extended = 0
  let cursor: string | undefined
  do {
    const page = await metadata.listPayloads({ cursor, limit: PAGE })
    for (const record of page.items) {
      if (walked.has(record.id)) continue
      let size = record.size
      for (const row of await metadata.listFileBlocks(record.id)) {
        const at = parseBlockId(row.id)
        if (at === undefined || !isRemote(row)) continue
        size = Math.max(size, at.blockIdx * BlockSize + row.dataSize)
      }
      if (size === record.size) continue
      await metadata.putPayload({ ...record, size })
      extended++
    }
    cursor = page.nextCursor
  } while (cursor !== undefined)
  return extended
}
