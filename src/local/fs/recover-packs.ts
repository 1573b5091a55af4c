/**
 * Recovery of blocks whose copy is a record in a sealed pack (docs/design-packs.md), run after
 * the journal replay (which turned the records of unsealed generations back into files) and
 * before the walk of block files: every row naming a record in a pack on disk gets its block
 * entry back, with the record as its copy. Rows of every state are found (by the `pack:`
 * prefix of their local path): a Dirty row names the record its block had when a write began
 * that no flush acknowledged, and a Syncing one the record an upload was reading; both become
 * Local with the record's bytes (the old content; a file the write had started is a leftover
 * the walk deletes), the Syncing one forgetting the hash and key it never confirmed. A Remote
 * row naming a record no pack holds any more only loses its cached copy; any other such row is
 * a lost block: it is pointed at the block's file, which does not exist, so the walk reports it
 * lost as any lost file, and its reads fail (never zeros).
 */
import { BlockState, type FileBlock, isRemote } from '../../core/block.js'
import { BlockSize } from '../../core/constants.js'
import { ContentHash } from '../../core/hash.js'
import { parseBlockId } from '../../core/keys.js'
import { casRow } from '../common/state/row-store.js'
import { blockEntry, newPayloadState, type TierState } from '../common/state/tier-state.js'
import type { FsBlockMedium } from './fs-block-medium.js'
import type { PackSet } from './packs.js'
import { PackReadError, PLACE_PREFIX, parsePlace, type RecordPlace } from './record-place.js'

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
  for (let row of await s.metadata.listBlocksByLocalPath(PLACE_PREFIX, 0)) {
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
    if (row.state === BlockState.Dirty || row.state === BlockState.Syncing) {
      const settled = await settleRow(s, medium, packs, row, place)
      if (settled === 'lost') lost.push(row.id)
      if (settled === 'lost' || settled === 'file') continue
      row = settled
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

/**
 * A Dirty or Syncing row naming a record of a pack on disk, made Local with the record's bytes
 * (see the module comment): `'lost'` when the record cannot be read back. A truncate is
 * durable when it returns, before any flush: when the payload's stored size cuts the record,
 * the bytes it keeps go into the block's file, durable, and the row names that file
 * (`'file'`; the walk takes it up), so the cut bytes neither come back nor grow the payload.
 */
async function settleRow(
  s: TierState,
  medium: FsBlockMedium,
  packs: PackSet,
  row: FileBlock,
  place: RecordPlace,
): Promise<FileBlock | 'lost' | 'file'> {
  const at = parseBlockId(row.id)
  const data = await packs.read(place).catch((err: unknown) => {
    if (err instanceof PackReadError) return undefined
    throw err
  })
  if (data === undefined || at === undefined) return 'lost'
  const record = await s.metadata.getPayload(at.payloadId)
  const keep = record === undefined ? data.length : record.size - at.blockIdx * BlockSize
  if (keep < data.length) {
    const kept = data.subarray(0, Math.max(0, keep))
    await medium.create(at.payloadId, at.blockIdx, kept)
    await medium.sync(at.payloadId, [at.blockIdx])
    const file = medium.layout.blockPath(at.payloadId, at.blockIdx)
    await casRow(s, row.id, (r) =>
      r?.localPath === row.localPath
        ? { ...r, state: BlockState.Local, localPath: file, dataSize: kept.length }
        : undefined,
    )
    return 'file'
  }
  const { stored } = await casRow(s, row.id, (r) =>
    r?.localPath === row.localPath
      ? {
          ...r,
          state: BlockState.Local,
          dataSize: data.length,
          ...(r.state === BlockState.Syncing
            ? { hash: ContentHash.ZERO, blockStoreKey: '', chunkRoot: undefined }
            : {}),
        }
      : undefined,
  )
  // Changed meanwhile (another node sharing the metadata store): left as it is to the walk.
  return stored ?? 'file'
}
