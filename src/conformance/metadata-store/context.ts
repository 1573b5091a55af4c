/** What each group of metadata store cases sees of the suite. */
import type { MetadataStore } from '../../core/metadata-store.js'
import { type Harness, requiring } from '../harness.js'

/** The store under test and the optional capabilities the runner provided. */
export interface SuiteContext {
  /** The fresh store of the running case. */
  readonly store: MetadataStore
  /** Closes the store and opens its data again; the new handle becomes `store`. */
  readonly reopen: (() => Promise<MetadataStore>) | undefined
  /** A second handle on the same data; the case must close it. */
  readonly openPeer: (() => Promise<MetadataStore>) | undefined
}

/** `h` for cases that need a second handle: skipped, visibly, when the runner gave none. */
export function withPeer(h: Harness, ctx: SuiteContext): Harness {
  return requiring(h, () =>
    ctx.openPeer === undefined ? 'the suite was given no openPeer' : undefined,
  )
}

/** `h` for cases that close and reopen the store: skipped, visibly, when the runner cannot. */
export function withReopen(h: Harness, ctx: SuiteContext): Harness {
  return requiring(h, () =>
    ctx.reopen === undefined ? 'the suite was given no reopen' : undefined,
  )
}
