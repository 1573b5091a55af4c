/**
 * Shared fixtures of the metadata store suite: row builders, hashes and error assertions.
 */
import assert from 'node:assert/strict'
import { BlockState, type FileBlock, newFileBlock } from '../../core/block.js'
import { type ErrorCode, isBlockStoreError } from '../../core/errors.js'
import { forEachBounded } from '../../core/for-each-bounded.js'
import { ContentHash } from '../../core/hash.js'
import type { MetadataStore } from '../../core/metadata-store.js'

/** One hour in milliseconds. */
export const HOUR = 60 * 60 * 1000

/** A deterministic non-zero hash: 32 bytes of `seed` (1..255) with a varying tail. */
export function hashOf(seed: number): ContentHash {
  const bytes = new Uint8Array(32).fill(seed & 0xff)
  bytes[31] = (seed >>> 8) & 0xff
  bytes[0] = 1 + (seed % 255)
  return ContentHash.fromBytes(bytes)
}

/** A never-stored row with the given fields (Dirty, refCount 1, zero hash by default). */
export function block(id: string, patch: Partial<FileBlock> = {}): FileBlock {
  return { ...newFileBlock(id, `/data/${id}.blk`, Date.now()), ...patch }
}

/** A Remote row with a hash and remote key, as the syncer leaves it. */
export function remoteBlock(id: string, seed: number, patch: Partial<FileBlock> = {}): FileBlock {
  const slash = id.lastIndexOf('/')
  return block(id, {
    state: BlockState.Remote,
    hash: hashOf(seed),
    dataSize: 4096,
    blockStoreKey: `${id.slice(0, slash)}/block-${id.slice(slash + 1)}`,
    ...patch,
  })
}

/** Puts every row, at most `parallel` at a time. */
export async function putAll(
  store: MetadataStore,
  rows: readonly FileBlock[],
  parallel = 16,
): Promise<void> {
  await forEachBounded(rows, parallel, (row) => store.putFileBlock(row))
}

/** Asserts that `promise` rejects with a BlockStoreError of `code`. */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isBlockStoreError(err, code), `expected ${code}, got ${String(err)}`)
    return true
  })
}

/** The fields of a row that the store must return byte for byte (version excluded). */
export function content(row: FileBlock): Record<string, unknown> {
  const { version: _version, hash, chunkRoot, ...rest } = row
  // ContentHash keeps its bytes in a private field, which deepEqual does not compare.
  return { ...rest, hash: hash.toString(), chunkRoot: chunkRoot?.toString() }
}

/** IDs of rows, in order. */
export function ids(rows: readonly FileBlock[]): string[] {
  return rows.map((r) => r.id)
}

/** Drains an async iterable into an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}
