/**
 * Input checks shared by every metadata store, run before any storage is touched so all
 * backends reject the same input with the same code.
 */
import { type AbortOptions, throwIfAborted } from '../core/abort.js'
import { type FileBlock, isBlockState } from '../core/block.js'
import { BlockStoreError } from '../core/errors.js'
import { ContentHash } from '../core/hash.js'
import { type BlockAddress, parseBlockId } from '../core/keys.js'
import type { PayloadPage, PayloadRecord } from '../core/metadata-store.js'
import { assertPayloadId } from '../core/payload-id.js'

/** Largest page of {@link MetadataStore.listPayloads}. */
export const MaxPayloadPage = 10_000
/** Default page of {@link MetadataStore.listPayloads}. */
export const DefaultPayloadPage = 1000

/**
 * Checks a block ID: `"{payloadId}/{idx}"` with a valid payload ID and a plain decimal index.
 * @throws {BlockStoreError} BS_INVALID_PAYLOAD_ID otherwise.
 */
export function assertBlockId(id: unknown): BlockAddress {
  const address = typeof id === 'string' ? parseBlockId(id) : undefined
  if (address === undefined) {
    throw new BlockStoreError('BS_INVALID_PAYLOAD_ID', `invalid block ID: ${JSON.stringify(id)}`)
  }
  assertPayloadId(address.payloadId)
  return address
}

function assertCount(value: unknown, field: string, id: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new BlockStoreError(
      'BS_INVALID_ARGUMENT',
      `${field} must be a non-negative safe integer, got ${String(value)}`,
      { key: id },
    )
  }
}

/**
 * Checks every field of a block record before it is stored.
 * @throws {BlockStoreError} BS_INVALID_PAYLOAD_ID for a bad ID, BS_INVALID_ARGUMENT for a bad field.
 */
export function assertFileBlock(block: FileBlock): void {
  assertBlockId(block.id)
  if (!(block.hash instanceof ContentHash)) {
    throw new BlockStoreError('BS_INVALID_ARGUMENT', 'hash must be a ContentHash', {
      key: block.id,
    })
  }
  if (!isBlockState(block.state)) {
    throw new BlockStoreError('BS_INVALID_ARGUMENT', `unknown block state ${String(block.state)}`, {
      key: block.id,
    })
  }
  if (typeof block.localPath !== 'string' || typeof block.blockStoreKey !== 'string') {
    throw new BlockStoreError(
      'BS_INVALID_ARGUMENT',
      'localPath and blockStoreKey must be strings',
      {
        key: block.id,
      },
    )
  }
  assertCount(block.dataSize, 'dataSize', block.id)
  assertCount(block.refCount, 'refCount', block.id)
  assertCount(block.lastAccess, 'lastAccess', block.id)
  assertCount(block.createdAt, 'createdAt', block.id)
}

/**
 * Checks a payload record before it is stored.
 * @throws {BlockStoreError} BS_INVALID_PAYLOAD_ID for a bad ID, BS_INVALID_ARGUMENT for a bad field.
 */
export function assertPayloadRecord(record: PayloadRecord): void {
  assertPayloadId(record.id)
  assertCount(record.size, 'size', record.id)
  assertCount(record.createdAt, 'createdAt', record.id)
  assertCount(record.modifiedAt, 'modifiedAt', record.id)
}

/**
 * Checks a compare-and-put expected version.
 * @throws {BlockStoreError} BS_INVALID_ARGUMENT when it is not a non-negative safe integer.
 */
export function assertVersion(version: unknown, id: string): void {
  assertCount(version, 'expected version', id)
}

/** A prefix or cursor of a payload listing: text that could start a payload ID. */
function assertIdText(text: unknown, what: string): string {
  if (text === undefined) return ''
  if (typeof text !== 'string' || text.includes('\0') || !isWellFormed(text)) {
    throw new BlockStoreError('BS_INVALID_PAYLOAD_ID', `invalid ${what}: ${JSON.stringify(text)}`)
  }
  return text
}

// A lone surrogate has no UTF-8 form; databases would store U+FFFD instead.
function isWellFormed(text: string): boolean {
  try {
    encodeURIComponent(text)
    return true
  } catch {
    return false
  }
}

/** Normalised options of a payload listing. */
export interface PayloadQuery {
  readonly prefix: string
  /** List IDs strictly after this one ('' = from the start); IDs also start with `prefix`. */
  readonly after: string
  readonly limit: number
}

/**
 * Validates listing options and resolves where the page starts.
 * @throws {BlockStoreError} BS_INVALID_PAYLOAD_ID for a bad prefix or cursor, BS_INVALID_ARGUMENT for a bad limit.
 */
export function payloadQuery(options?: {
  readonly prefix?: string | undefined
  readonly cursor?: string | undefined
  readonly limit?: number | undefined
}): PayloadQuery {
  const prefix = assertIdText(options?.prefix, 'prefix')
  const cursor = assertIdText(options?.cursor, 'cursor')
  const limit = options?.limit ?? DefaultPayloadPage
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new BlockStoreError(
      'BS_INVALID_ARGUMENT',
      `limit must be a positive integer, got ${limit}`,
    )
  }
  return { prefix, after: cursor, limit: Math.min(limit, MaxPayloadPage) }
}

/**
 * Orders strings by their UTF-8 bytes (code point order). UTF-16 code-unit order differs for
 * characters above U+FFFF, which sort after U+E000..U+FFFF in UTF-8.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    const xs = x >= 0xd800 && x <= 0xdfff
    const ys = y >= 0xd800 && y <= 0xdfff
    if (xs !== ys) return xs ? 1 : -1
    return x - y
  }
  return a.length - b.length
}

/**
 * Entry check of every call: rejects when closed, then when the signal is aborted.
 * @throws {BlockStoreError} BS_STORE_CLOSED when the store is closed.
 */
export function assertOpen(closed: boolean, backend: string, options?: AbortOptions): void {
  if (closed)
    throw new BlockStoreError('BS_STORE_CLOSED', `${backend} metadata store is closed`, { backend })
  throwIfAborted(options)
}

/** The BS_FILE_BLOCK_NOT_FOUND error for `id`. */
export function fileBlockNotFound(id: string, backend: string): BlockStoreError {
  return new BlockStoreError('BS_FILE_BLOCK_NOT_FOUND', `file block not found: ${id}`, {
    key: id,
    backend,
  })
}

/**
 * Builds a page from up to `limit + 1` records read in ascending byte order from the first ID
 * after `q.after` that is not below `q.prefix`: matches are contiguous in that order, so the
 * page ends at the first record outside the prefix.
 */
export function toPayloadPage(candidates: readonly PayloadRecord[], q: PayloadQuery): PayloadPage {
  const items: PayloadRecord[] = []
  for (const record of candidates) {
    if (!record.id.startsWith(q.prefix)) return { items }
    if (items.length === q.limit) return { items, nextCursor: items[items.length - 1]!.id }
    items.push(record)
  }
  return { items }
}
