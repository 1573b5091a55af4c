/** Fixture and options of the BlockStore conformance suite. */
import type { BlockStore } from '../../core/block-store.js'
import type { MetadataStore } from '../../core/metadata-store.js'
import type { FaultInjectingRemoteStore } from '../faulty-remote-store.js'
import { declared, type Harness, requiring, type SuiteOptions } from '../harness.js'

/** One engine under test and handles on its parts. */
export interface BlockStoreFixture {
  readonly store: BlockStore
  /** The engine's metadata store (read-only use by the suite). */
  readonly metadata: MetadataStore
  /**
   * The engine's remote, wrapped so the suite can inject outages; `undefined` for a
   * local-only engine, whose remote cases are then reported skipped. The engine must be
   * opened with short health intervals (e.g. 50 ms, threshold 1) so outages are seen quickly.
   */
  readonly remote?: FaultInjectingRemoteStore | undefined
  /**
   * @deprecated Give {@link BlockStoreSuiteOptions.reopen} instead; used only when the options
   * have none.
   */
  reopen?(options?: ReopenOptions): Promise<BlockStoreFixture>
}

/** Options of a BlockStore fixture's reopen. */
export interface ReopenOptions {
  /** Delete the engine's local directory between close and open. */
  readonly wipeLocal?: boolean | undefined
}

/** Options of `describeBlockStore`, typed by the fixture `create` returns. */
export interface BlockStoreSuiteOptions<F extends BlockStoreFixture = BlockStoreFixture>
  extends SuiteOptions<F> {
  /** A fresh engine with its own, empty stores. */
  create(): F | Promise<F>
  /**
   * Closes the fixture's engine and opens a new one on the same local directory, remote store
   * and metadata store; `wipeLocal` deletes the local directory in between. Required when the
   * metadata store declares `capabilities.persistent` (the restart cases then fail without
   * it); ignored otherwise.
   */
  reopen?(fixture: F, options?: ReopenOptions): Promise<F>
}

/** What the cases see: the running case's fixture, and a way to restart its engine. */
export interface BlockStoreSuiteContext {
  /** The fixture of the running case (after a reopen, the reopened one). */
  fixture(): BlockStoreFixture
  /**
   * Restarts the engine through the suite's `reopen`; the new fixture replaces the old one
   * (the suite closes and destroys it after the case).
   */
  reopen(options?: ReopenOptions): Promise<BlockStoreFixture>
  /** True when the suite can reopen (its option, or the fixture's deprecated one). */
  canReopen(): boolean
}

/** `h` for cases that need a remote store: skipped, visibly, for a local-only engine. */
export function withRemote(h: Harness, ctx: BlockStoreSuiteContext): Harness {
  return requiring(h, () => (ctx.fixture().remote === undefined ? 'no remote store' : undefined))
}

/**
 * `h` for cases that close and reopen the engine: run when the metadata store declares
 * `capabilities.persistent` (and, with `wipeLocal`, the remote store too), skipped visibly
 * when it does not, failed when it does but the suite cannot reopen.
 */
export function withRestart(h: Harness, ctx: BlockStoreSuiteContext, wipeLocal = false): Harness {
  return requiring(h, () => {
    const f = ctx.fixture()
    if (wipeLocal) {
      if (f.remote === undefined) return 'no remote store'
      const remote = declared("the remote store's ", f.remote.capabilities, 'persistent')
      if (remote !== undefined) return remote
    }
    const means = { name: 'reopen', given: ctx.canReopen() }
    return declared("the metadata store's ", f.metadata.capabilities, 'persistent', means)
  })
}

/** Bytes with a recognisable pattern, different for each seed. */
export function pattern(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed * 2654435761
  for (let i = 0; i < length; i++) {
    x = (x ^ (x << 13)) >>> 0
    x = (x ^ (x >>> 17)) >>> 0
    x = (x ^ (x << 5)) >>> 0
    out[i] = x & 0xff
  }
  return out
}

/** Reads a whole payload. */
export async function readAll(store: BlockStore, payloadId: string): Promise<Uint8Array> {
  const size = await store.getSize(payloadId)
  const out = new Uint8Array(size)
  const n = await store.readAt(payloadId, out, 0)
  if (n !== size) throw new Error(`short read: ${n} of ${size}`)
  return out
}

/**
 * Polls `cond` every 10 ms until it returns true. Throws `timed out after <ms> ms waiting for
 * <what>` once `timeoutMs` have passed without it: a wait that ends quietly would let the case
 * go on checking a state that never came (a caller that can live with that catches, visibly).
 */
export async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
