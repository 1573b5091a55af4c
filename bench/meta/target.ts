/**
 * Shared types of the metadata bench: a backend under test and its raw-driver baseline.
 */
import { BlockState, type FileBlock } from '../../src/core/block.js'
import { parseContentHash } from '../../src/core/hash.js'
import type { MetadataStore } from '../../src/core/metadata-store.js'

/** Equivalent single statements on the raw driver (or a raw Map for memory). */
export interface RawOps {
  readonly name: string
  put(row: FileBlock): Promise<void>
  get(id: string): Promise<void>
  findByHash(hex: string): Promise<void>
  cas(id: string, expectedVersion: number): Promise<void>
  listPayload(payloadId: string): Promise<number>
}

/** One backend under test. */
export interface Target {
  readonly name: string
  readonly store: MetadataStore
  readonly raw: RawOps
  /** Adds bulk rows `[from, to)` (payloads of `payloadBlocks` blocks) without measuring. */
  load(from: number, to: number, payloadBlocks: number): Promise<void>
  close(): Promise<void>
}

/** Bulk row `i`: Remote, with a hash unique to `i`, in payload `bulk/{i / payloadBlocks}`. */
export function bulkRow(i: number, payloadBlocks: number): FileBlock {
  const payload = `bulk/${Math.floor(i / payloadBlocks)}`
  const idx = i % payloadBlocks
  return {
    id: `${payload}/${idx}`,
    hash: parseContentHash(i.toString(16).padStart(64, '0')),
    dataSize: 4096,
    localPath: '/l',
    blockStoreKey: `${payload}/block-${idx}`,
    refCount: 1,
    lastAccess: i,
    createdAt: i,
    state: BlockState.Remote,
    version: 0,
  }
}
