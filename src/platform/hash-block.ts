import { createHash, webcrypto } from 'node:crypto'
import { ContentHash } from '../core/hash.js'

/** SHA-256 of a block's valid bytes as a {@link ContentHash} (synchronous). */
export function hashBlock(data: Uint8Array): ContentHash {
  return ContentHash.fromBytes(createHash('sha256').update(data).digest())
}

/**
 * SHA-256 of a block computed on libuv's thread pool (WebCrypto), so hashing 8 MiB blocks
 * during an ingest does not stall the event loop for other requests.
 */
export async function hashBlockAsync(data: Uint8Array): Promise<ContentHash> {
  return ContentHash.fromBytes(new Uint8Array(await webcrypto.subtle.digest('SHA-256', data)))
}
