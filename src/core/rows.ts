import type { AbortOptions } from './abort.js'
import type { FileBlock } from './block.js'
import { isBlockStoreError } from './errors.js'
import type { MetadataStore } from './metadata-store.js'

/** A block row, or `undefined` when there is none (other errors are thrown). */
export async function findFileBlock(
  metadata: MetadataStore,
  id: string,
  options?: AbortOptions,
): Promise<FileBlock | undefined> {
  if (metadata.findFileBlock !== undefined) return metadata.findFileBlock(id, options)
  try {
    return await metadata.getFileBlock(id, options)
  } catch (err) {
    if (isBlockStoreError(err, 'BS_FILE_BLOCK_NOT_FOUND')) return undefined
    throw err
  }
}
