import { createHash } from 'node:crypto'
import { ContentHash } from '../core/hash.js'

/** SHA-256 of a block's valid bytes as a {@link ContentHash}. */
export function hashBlock(data: Uint8Array): ContentHash {
  return ContentHash.fromBytes(createHash('sha256').update(data).digest())
}
