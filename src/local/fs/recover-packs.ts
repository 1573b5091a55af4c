/**
 * Recovery of blocks whose copy is a record in a sealed pack (docs/design-packs.md), run after
 * the journal replay (which turned the records of unsealed generations back into files) and
 * before the walk of block files: every row naming a record in a pack on disk gets its block
 * entry back, with the record as its copy. A Remote row naming a record no pack holds any more
 * only loses its cached copy; any other such row is a lost block: it is pointed at the block's
 * file, which does not exist, so the walk reports it lost as any lost file, and its reads fail
 * (never zeros).
 */
import { isRemote } from '../../core/block.js'
import { BlockSize } from '../../core/constants.js'
import { parseBlockId } from '../../core/keys.js'
import { casRow } from '../common/rows.js'
import { blockEntry, newPayloadState, type TierState } from '../common/tier-state.js'
import type { FsBlockMedium } from './fs-block-medium.js'
import { type PackSet, parsePlace } from './packs.js'

/** What the pack step did. */
export interface PackRecovery {
  /** Payloads with at least one block whose copy is a record (the walk treats them as walked). */
  readonly payloads: ReadonlySet<string>
  /** Blocks whose copy is a record again. */
  readonly blocks: number
  /** Remote rows whose cached copy named a record no pack holds (cleared). */
  readonly cleared: number
  /** Rows of blocks whose only copy was a record no pack holds. */
  readonly lost: readonly string[]
}

/** See the module comment. */
export async function recoverRecordCopies(
  s: TierState,
  medium: FsBlockMedium,
  packs: PackSet,
): Promise<PackRecovery> {
  const payloads = new Set<string>()
  let blocks = 0
  let cleared = 0
  const lost: string[] = []
  const rows = [
    ...(await s.metadata.listLocalBlocks(0, 0)),
    ...(await s.metadata.listRemoteBlocks(0)),
  ]
  for (const row of rows) {
    const place = parsePlace(row.localPath)
    const at = parseBlockId(row.id)
    if (place === undefined || at === undefined) continue
    if (!packs.has(place.gen)) {
      const file = medium.layout.blockPath(at.payloadId, at.blockIdx)
      await casRow(s, row.id, (r) =>
        r?.localPath === row.localPath ? { ...r, localPath: isRemote(r) ? '' : file } : undefined,
      )
      if (isRemote(row)) cleared++
      else if (row.dataSize > 0) lost.push(row.id)
      continue
    }
    // The row names it: its reference, as a commit naming it would have counted.
    packs.adopt(place, row.dataSize)
    await medium.takeRecord(at.payloadId, at.blockIdx, row.localPath, false)
    const p = s.payloads.get(at.payloadId) ?? newPayloadState(at.payloadId, 0, 'none')
    s.payloads.set(at.payloadId, p)
    const e = blockEntry(p, at.blockIdx)
    e.onMedium = true
    e.mediumSize = e.dataSize = row.dataSize
    e.lastAccess = row.lastAccess
    s.counters.diskUsed += row.dataSize
    p.size = Math.max(p.size, at.blockIdx * BlockSize + row.dataSize)
    payloads.add(at.payloadId)
    blocks++
  }
  return { payloads, blocks, cleared, lost }
}
