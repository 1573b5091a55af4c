import { randomFillSync } from 'node:crypto'
import { BlockState, type FileBlock, newFileBlock } from '../../src/core/block.js'
import { BlockSize } from '../../src/core/constants.js'
import { formatContentKey } from '../../src/core/keys.js'
import { hashBlock } from '../../src/platform/hash-block.js'

/**
 * A random 8 MiB block, its content key and the Remote row `p/0` that names it: what a cold
 * reader is handed. Storing the bytes (or damaged ones) at `key` is left to the test.
 */
export function randomRemoteBlock(): { data: Uint8Array; key: string; row: FileBlock } {
  const data = randomFillSync(new Uint8Array(BlockSize))
  const hash = hashBlock(data)
  const key = formatContentKey(hash)
  const row = {
    ...newFileBlock('p/0', ''),
    state: BlockState.Remote,
    hash,
    blockStoreKey: key,
    dataSize: data.length,
  }
  return { data, key, row }
}
