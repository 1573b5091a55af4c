/**
 * Block IDs (`"{payloadId}/{idx}"`) and remote store keys (`"{payloadId}/block-{idx}"`).
 * Every parser splits on the LAST separator, because payload IDs contain `/` and may even
 * contain `/block-` themselves. Invalid input gives `undefined`, never a block index of 0.
 */
import { MaxBlockIndex } from './constants.js'
import type { ContentHash } from './hash.js'

const STORE_KEY_MARKER = '/block-'
const DECIMAL = /^(0|[1-9][0-9]*)$/

/** A payload ID and block index. */
export interface BlockAddress {
  readonly payloadId: string
  readonly blockIdx: number
}

/** Parses a plain unsigned decimal block index; `undefined` when invalid or out of range. */
export function parseIndex(text: string): number | undefined {
  // Leading zeros are rejected so every index has exactly one spelling (one key per block).
  if (!DECIMAL.test(text)) return undefined
  const n = Number(text)
  return n <= MaxBlockIndex ? n : undefined
}

/** `"{payloadId}/block-{blockIdx}"`: the remote object key of a block. */
export function formatStoreKey(payloadId: string, blockIdx: number): string {
  return `${payloadId}${STORE_KEY_MARKER}${blockIdx}`
}

/**
 * Splits a store key at its last `"/block-"`. `undefined` when the marker is absent or at
 * position 0, or the index is not a plain decimal.
 */
export function parseStoreKey(storeKey: string): BlockAddress | undefined {
  const at = storeKey.lastIndexOf(STORE_KEY_MARKER)
  if (at <= 0) return undefined
  const blockIdx = parseIndex(storeKey.slice(at + STORE_KEY_MARKER.length))
  if (blockIdx === undefined) return undefined
  return { payloadId: storeKey.slice(0, at), blockIdx }
}

/** True when `key` is `payloadId + "/block-" + something` (strictly longer than the prefix). */
export function keyBelongsToFile(key: string, payloadId: string): boolean {
  const prefix = payloadId + STORE_KEY_MARKER
  return key.length > prefix.length && key.startsWith(prefix)
}

/**
 * The block index of `key` for a known payload, or `undefined` when the key is not
 * `payloadId + "/block-" + decimal` (unlike the Go reference, never an ambiguous 0).
 */
export function parseBlockIdx(key: string, payloadId: string): number | undefined {
  if (!keyBelongsToFile(key, payloadId)) return undefined
  return parseIndex(key.slice(payloadId.length + STORE_KEY_MARKER.length))
}

/** `"{payloadId}/{blockIdx}"`: the metadata row ID of a block. */
export function formatBlockId(payloadId: string, blockIdx: number): string {
  return `${payloadId}/${blockIdx}`
}

/** Splits a block ID at its last `/`; `undefined` when invalid. */
export function parseBlockId(blockId: string): BlockAddress | undefined {
  const at = blockId.lastIndexOf('/')
  if (at <= 0) return undefined
  const blockIdx = parseIndex(blockId.slice(at + 1))
  if (blockIdx === undefined) return undefined
  return { payloadId: blockId.slice(0, at), blockIdx }
}

/** True when `blockId` is `payloadId + "/" + decimal`. */
export function blockIdBelongsToFile(blockId: string, payloadId: string): boolean {
  return (
    blockId.length > payloadId.length + 1 &&
    blockId.startsWith(payloadId) &&
    blockId[payloadId.length] === '/' &&
    parseIndex(blockId.slice(payloadId.length + 1)) !== undefined
  )
}

const CONTENT_KEY = /^blocks\/([0-9a-f]{2})\/([0-9a-f]{64})$/

/**
 * The remote object key of a block's content: `"blocks/{hh}/{sha256 hex}"`.
 *
 * The engine stores objects under their content hash rather than `formatStoreKey(payloadId,
 * idx)`: a payload-based key is overwritten when its block is rewritten, which would corrupt
 * every other payload deduplicated onto that object. A content key always holds the same bytes,
 * so dedup and re-uploads can never change what another row references.
 */
export function formatContentKey(hash: ContentHash): string {
  const hex = hash.toString()
  return `blocks/${hex.slice(0, 2)}/${hex}`
}

/**
 * Suffix of a content key whose object carries the block's chunk index after its bytes (see
 * {@link formatIndexedContentKey}).
 */
const INDEXED_SUFFIX = '.ci'

/**
 * The remote key of a block's content followed by its chunk index in the same object:
 * `"blocks/{hh}/{sha256 hex}.ci"`. One object per block instead of two (the block and
 * `{key}.chunks`): each PUT costs the object store a request's worth of work, which on a
 * server sharing the machine was about 7 % of a drain's throughput. The suffix tells a reader
 * (and GC) which layout an object has, so objects written before it keep working unchanged.
 * Objects under the two keys of one hash hold different bytes and never share a row.
 */
export function formatIndexedContentKey(hash: ContentHash): string {
  return formatContentKey(hash) + INDEXED_SUFFIX
}

/** True when the object of `key` holds its block's chunk index after the block's bytes. */
export function hasIndexTrailer(key: string): boolean {
  return (
    key.endsWith(INDEXED_SUFFIX) &&
    parseContentKey(key.slice(0, -INDEXED_SUFFIX.length)) !== undefined
  )
}

/** The hex hash of a content key, or `undefined` when `key` is not one. */
export function parseContentKey(key: string): string | undefined {
  const m = CONTENT_KEY.exec(key)
  return m !== null && m[1] === m[2]!.slice(0, 2) ? m[2] : undefined
}

const CHUNK_INDEX_SUFFIX = '.chunks'

/**
 * The remote key of a block object's chunk index: the block key plus `".chunks"`, so the
 * index sorts next to its block and lives under the same prefix (GC sweeps both together).
 */
export function formatChunkIndexKey(blockKey: string): string {
  return blockKey + CHUNK_INDEX_SUFFIX
}

/**
 * The block key a chunk index key belongs to, or `undefined` when `key` is not the index of a
 * content-addressed block (only those have one).
 */
export function parseChunkIndexKey(key: string): string | undefined {
  if (!key.endsWith(CHUNK_INDEX_SUFFIX)) return undefined
  const block = key.slice(0, -CHUNK_INDEX_SUFFIX.length)
  return parseContentKey(block) === undefined ? undefined : block
}
