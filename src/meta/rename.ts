/**
 * What every metadata store does the same way in `renamePayload`: argument checks, the
 * whole-payload version comparison and the shape of a moved row. Each backend only supplies
 * the transaction around them.
 */
import { BlockState, type FileBlock } from '../core/block.js'
import { BlockStoreError } from '../core/errors.js'
import { ContentHash } from '../core/hash.js'
import { formatBlockId, parseBlockId } from '../core/keys.js'
import type { RenamePayloadOptions } from '../core/metadata-store.js'
import { assertPayloadId } from '../core/payload-id.js'
import { assertVersion } from './validate.js'

/**
 * Checks the arguments of a rename before anything is touched.
 * @throws {BlockStoreError} BS_INVALID_PAYLOAD_ID, BS_INVALID_ARGUMENT.
 */
export function assertRename(src: string, dst: string, options: RenamePayloadOptions): void {
  assertPayloadId(src)
  assertPayloadId(dst)
  if (src === dst) {
    throw new BlockStoreError('BS_INVALID_ARGUMENT', `cannot rename ${src} onto itself`, {
      payloadId: src,
    })
  }
  if (!(options?.expectedVersions instanceof Map)) {
    throw new BlockStoreError('BS_INVALID_ARGUMENT', 'expectedVersions must be a Map')
  }
  for (const [idx, version] of options.expectedVersions) {
    if (!Number.isSafeInteger(idx) || idx < 0) {
      throw new BlockStoreError('BS_INVALID_ARGUMENT', `invalid block index ${String(idx)}`)
    }
    assertVersion(version, formatBlockId(src, idx))
  }
  for (const path of options.localPaths?.values() ?? []) {
    if (typeof path !== 'string') {
      throw new BlockStoreError('BS_INVALID_ARGUMENT', 'localPaths must map to strings')
    }
  }
}

/** True when `rows` (all of the source's) are exactly the expected indexes at their versions. */
export function matchesExpected(
  rows: readonly FileBlock[],
  expected: ReadonlyMap<number, number>,
): boolean {
  if (rows.length !== expected.size) return false
  for (const row of rows) {
    const idx = parseBlockId(row.id)?.blockIdx
    if (idx === undefined || expected.get(idx) !== row.version) return false
  }
  return true
}

/**
 * The row `row` becomes under `dst`, at `version`. The store picks a version above any the
 * `dst` ID ever had (the replaced row's, and those of rows deleted there before) and above the
 * source row's, so no compare-and-set prepared against an old row can succeed on the new one.
 */
export function movedRow(
  row: FileBlock,
  dst: string,
  version: number,
  options: RenamePayloadOptions,
): FileBlock {
  const idx = parseBlockId(row.id)!.blockIdx
  const moved: FileBlock = {
    ...row,
    id: formatBlockId(dst, idx),
    localPath: options.localPaths?.get(idx) ?? row.localPath,
    version,
  }
  if (row.state !== BlockState.Syncing) return moved
  // The claim's upload commits under the old ID, which is gone: release it like a failed one.
  return {
    ...moved,
    state: BlockState.Local,
    hash: ContentHash.ZERO,
    blockStoreKey: '',
    chunkRoot: undefined,
  }
}
