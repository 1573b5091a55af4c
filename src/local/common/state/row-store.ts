/**
 * Row updates of the local tier: every change is a compare-and-set on the row's version,
 * retried after re-reading when a concurrent writer (the syncer) won the race.
 *
 * A row may name a journal record as its block's copy (a pack place, docs/design-packs.md).
 * The medium is told once a committed row stops naming a place, changed or deleted, and not
 * before: until that commit the stored row still names the record, and the pack must outlive
 * it (a checkpoint deletes a pack only after syncing the metadata that stopped naming it).
 */
import type { AbortOptions } from '../../../core/abort.js'
import type { FileBlock } from '../../../core/block.js'
import { BlockStoreError, isBlockStoreError } from '../../../core/errors.js'
import type { CommitOptions } from '../../../core/metadata-store.js'
import { findFileBlock } from '../../../core/rows.js'
import type { TierState } from './tier-state.js'

const MAX_CAS_ATTEMPTS = 64

/** The row of a block, or `undefined` when it has none. */
export const getRow = findFileBlock

/**
 * Applies `change` to the current row (or `undefined` when absent) and stores the result by
 * compare-and-set, re-reading and retrying when the row changed meanwhile. `change` returning
 * `undefined` means "nothing to store" and ends the loop. `initial` is a row just read (saves
 * the first read).
 * @throws {BlockStoreError} BS_CONCURRENT_MODIFICATION after too many lost races.
 */
export async function casRow(
  s: TierState,
  id: string,
  change: (current: FileBlock | undefined) => FileBlock | undefined,
  options?: CommitOptions,
  initial?: { readonly row: FileBlock | undefined },
): Promise<{ stored: FileBlock | undefined; previous: FileBlock | undefined }> {
  const { metadata } = s
  let current = initial?.row
  let fresh = initial === undefined
  for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
    if (fresh) current = await getRow(metadata, id, options)
    fresh = true
    const next = change(current)
    if (next === undefined) return { stored: undefined, previous: current }
    const stored = await metadata.compareAndPutFileBlock(next, current?.version ?? 0, options)
    if (stored !== undefined) {
      // The size too: a pack counts the bytes of the records rows name.
      if (current?.localPath !== stored.localPath || current.dataSize !== stored.dataSize) {
        await s.medium.rowMoved?.(id, current, stored)
      }
      return { stored, previous: current }
    }
  }
  throw new BlockStoreError('BS_CONCURRENT_MODIFICATION', `row ${id} keeps changing`, {
    op: 'local',
  })
}

/** Deletes a row if present, by version, retrying on lost races. */
export async function deleteRow(
  s: TierState,
  id: string,
  options?: AbortOptions,
): Promise<FileBlock | undefined> {
  const { metadata } = s
  for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
    const row = await getRow(metadata, id, options)
    if (row === undefined) return undefined
    try {
      if (await metadata.deleteFileBlock(id, { ...options, ifVersion: row.version })) {
        await s.medium.rowMoved?.(id, row, undefined)
        return row
      }
    } catch (err) {
      if (!isBlockStoreError(err, 'BS_FILE_BLOCK_NOT_FOUND')) throw err
      return undefined
    }
  }
  throw new BlockStoreError('BS_CONCURRENT_MODIFICATION', `row ${id} keeps changing`)
}

/** Tells the engine a row lost its remote key (errors of the hook propagate). */
export async function reportDropped(s: TierState, previous: FileBlock | undefined): Promise<void> {
  if (previous === undefined || previous.blockStoreKey === '') return
  await s.hooks.onRemoteReferenceDropped?.(previous)
}

/** Deletes a row, reporting each remote key it held before the row goes. */
export async function dropRow(s: TierState, id: string, options?: AbortOptions): Promise<void> {
  let reported = ''
  for (;;) {
    const row = await getRow(s.metadata, id, options)
    if (row === undefined) return
    if (row.blockStoreKey !== '' && row.blockStoreKey !== reported) {
      reported = row.blockStoreKey
      await s.hooks.onRemoteReferenceDropped?.(row)
    }
    try {
      if (await s.metadata.deleteFileBlock(id, { ...options, ifVersion: row.version })) {
        await s.medium.rowMoved?.(id, row, undefined)
        return
      }
    } catch (err) {
      if (isBlockStoreError(err, 'BS_FILE_BLOCK_NOT_FOUND')) return
      throw err
    }
  }
}
