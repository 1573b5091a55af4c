import { createHash } from 'node:crypto'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { ContentHash } from '../core/hash.js'

/** SHA-256 of a block's valid bytes as a {@link ContentHash} (synchronous). */
export function hashBlock(data: Uint8Array): ContentHash {
  return ContentHash.fromBytes(createHash('sha256').update(data).digest())
}

/** Bytes hashed between two yields to the event loop (about 0.5 ms of SHA-256). */
const SLICE = 1024 * 1024

/**
 * SHA-256 of a block, hashed a slice at a time with a yield to the event loop in between, so
 * hashing 8 MiB blocks during an ingest never stalls other requests for more than a slice.
 * Not WebCrypto on the thread pool: it copies its whole input first, and a fresh 8 MiB copy
 * costs more than the hash itself.
 */
export async function hashBlockAsync(data: Uint8Array): Promise<ContentHash> {
  const hash = createHash('sha256')
  for (let at = 0; at < data.length; at += SLICE) {
    if (at > 0) await yieldToLoop()
    hash.update(data.subarray(at, at + SLICE))
  }
  return ContentHash.fromBytes(hash.digest())
}
