/** Fixture and options of the BlockStore conformance suite. */
import type { BlockStore } from '../../core/block-store.js'
import type { MetadataStore } from '../../core/metadata-store.js'
import type { FaultInjectingRemoteStore } from '../faulty-remote-store.js'
import { type Harness, requiring } from '../harness.js'

/** One engine under test and handles on its parts. */
export interface BlockStoreFixture {
  readonly store: BlockStore
  /** The engine's metadata store (read-only use by the suite). */
  readonly metadata: MetadataStore
  /**
   * The engine's remote, wrapped so the suite can inject outages; `undefined` for a
   * local-only engine (the remote cases then report themselves skipped). The engine must be
   * opened with short health intervals (e.g. 50 ms, threshold 1) so outages are seen quickly.
   */
  readonly remote?: FaultInjectingRemoteStore | undefined
  /**
   * Closes the engine and opens it again on the same local directory, remote and metadata
   * (persistent configurations only); `wipeLocal` deletes the local directory in between.
   * Without it the restart cases report themselves skipped.
   */
  reopen?(options?: { wipeLocal?: boolean }): Promise<BlockStoreFixture>
}

/** `h` for cases that need a remote store: skipped, visibly, for a local-only engine. */
export function withRemote(h: Harness, fx: () => BlockStoreFixture): Harness {
  return requiring(h, () => (fx().remote === undefined ? 'no remote store' : undefined))
}

/** `h` for cases that close and reopen the engine: skipped, visibly, when the fixture cannot. */
export function withReopen(h: Harness, fx: () => BlockStoreFixture): Harness {
  return requiring(h, () => (fx().reopen === undefined ? 'the fixture cannot reopen' : undefined))
}

/** Options of `describeBlockStore`. */
export interface BlockStoreSuiteOptions {
  /** Shown in test names, e.g. "fs+fs+sqlite". */
  readonly name: string
  /** A fresh engine with its own, empty stores. */
  create(): Promise<BlockStoreFixture>
  /** Cleanup after the suite closed the engine (temp dirs, schemas). */
  destroy?(fixture: BlockStoreFixture): void | Promise<void>
  readonly harness?: Harness | undefined
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

/** Polls `cond` every 10 ms until true or `ms` elapsed; returns the final value. */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await cond()) return true
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, 10))
  }
}
