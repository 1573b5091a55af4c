/**
 * Fixture and helpers of the LocalStore suite: a store, its metadata store, and a way to make
 * a block look synced (as the syncer would) so remote-related behaviour can be tested.
 */
import assert from 'node:assert/strict'
import { BlockState, type FileBlock } from '../../core/block.js'
import { ContentHash } from '../../core/hash.js'
import { formatBlockId, formatStoreKey } from '../../core/keys.js'
import type { LocalStore, LocalStoreHooks } from '../../core/local-store.js'
import type { MetadataStore } from '../../core/metadata-store.js'
import { findFileBlock } from '../../core/rows.js'
import type { CaseContext } from '../harness.js'

/**
 * What `create` returns: the store under test and the metadata store it keeps its rows in,
 * typed by their classes; a fixture may carry more (a directory to remove in `destroy`).
 */
export interface LocalStoreFixture<
  S extends LocalStore = LocalStore,
  M extends MetadataStore = MetadataStore,
> {
  readonly store: S
  readonly metadata: M
}

/** Hooks the suite passes to `create`. */
export type LocalStoreFixtureHooks = LocalStoreHooks

/** `n` bytes of a recognisable pattern. */
export function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 17 + (i >>> 8)) & 0xff
  return out
}

/** Reads `length` bytes and asserts they were all served locally. */
export async function readLocal(
  store: LocalStore,
  pid: string,
  offset: number,
  length: number,
): Promise<Uint8Array> {
  const dest = new Uint8Array(length)
  const r = await store.readAt(pid, dest, offset)
  assert.equal(r.exists, true)
  assert.deepEqual(r.remoteBlocks, [])
  return dest.subarray(0, r.length)
}

/** A tiny remote: objects by key, as the engine's loader would fetch them. */
export class FakeRemote {
  readonly objects = new Map<string, Uint8Array>()
  readonly dropped: FileBlock[] = []
  loads = 0

  readonly hooks: LocalStoreHooks = {
    loadRemoteBlock: async (row) => {
      this.loads++
      const data = this.objects.get(row.blockStoreKey)
      if (data === undefined) throw new Error(`no object ${row.blockStoreKey}`)
      return Uint8Array.from(data)
    },
    onRemoteReferenceDropped: (row) => {
      this.dropped.push(row)
    },
  }
}

/**
 * Does what the syncer does for a flushed block: Local -> Syncing -> Remote by CAS, with a
 * hash and remote key; the bytes go to `remote`. Returns the Remote row.
 */
export async function syncBlock(
  f: LocalStoreFixture,
  remote: FakeRemote | undefined,
  pid: string,
  idx: number,
): Promise<FileBlock> {
  const snap = await f.store.readBlockSnapshot(pid, idx)
  assert.equal(snap.row.state, BlockState.Local)
  const syncing = await f.metadata.compareAndPutFileBlock(
    { ...snap.row, state: BlockState.Syncing },
    snap.row.version,
  )
  assert.ok(syncing)
  const key = formatStoreKey(pid, idx)
  remote?.objects.set(key, Uint8Array.from(snap.data))
  const hash = ContentHash.fromBytes(new Uint8Array(32).fill(idx + 1))
  const remoteRow = await f.metadata.compareAndPutFileBlock(
    { ...syncing, state: BlockState.Remote, blockStoreKey: key, hash },
    syncing.version,
  )
  assert.ok(remoteRow)
  return remoteRow
}

/** The row of a block (asserting it exists). */
export function row(f: LocalStoreFixture, pid: string, idx: number): Promise<FileBlock> {
  return f.metadata.getFileBlock(formatBlockId(pid, idx))
}

/**
 * True when the block's row is Dirty, or absent while the store says the block is written (a
 * store may defer the Dirty row of a new block whose bytes are only in a write buffer).
 */
export async function dirtyOrDeferred(
  f: LocalStoreFixture,
  pid: string,
  idx: number,
): Promise<boolean> {
  const found = await findFileBlock(f.metadata, formatBlockId(pid, idx))
  if (found !== undefined) return found.state === BlockState.Dirty
  return (f.store.stats().unrecordedDirtyBlocks ?? 0) > 0
}

/** What a case can do besides using its fixture. */
export interface LocalCaseSession {
  /**
   * Reopens the store through the suite's `reopen`; the new fixture is the one the suite
   * closes after the case.
   */
  reopen(): Promise<LocalStoreFixture>
}

/**
 * Wraps a case: runs `fn` on a fresh fixture and always closes it; with `withRemote` the store
 * is opened with the hooks of a fresh {@link FakeRemote} handed to `fn`. With `gate`, the case
 * is reported skipped with the reason it returns for the fixture (see `requiring`).
 */
export type WithFixture = (
  fn: (f: LocalStoreFixture, remote: FakeRemote, session: LocalCaseSession) => Promise<void>,
  withRemote?: boolean,
  gate?: (f: LocalStoreFixture, canReopen: boolean) => string | undefined,
) => (t?: CaseContext) => Promise<void>
