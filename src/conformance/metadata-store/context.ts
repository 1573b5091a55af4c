/** What each group of metadata store cases sees of the suite. */
import type { MetadataStore } from '../../core/metadata-store.js'
import { declared, type Harness, requiring } from '../harness.js'

/** The store under test and the optional means the runner provided. */
export interface SuiteContext {
  /** The fresh store of the running case. */
  readonly store: MetadataStore
  /** Closes the store and opens its data again; the new handle becomes `store`. */
  readonly reopen: (() => Promise<MetadataStore>) | undefined
  /** A second handle on the same data; the case must close it. */
  readonly openPeer: (() => Promise<MetadataStore>) | undefined
}

/**
 * `h` for cases that need a second handle on the same data: run when the store declares
 * `capabilities.shared`, skipped visibly when it does not, failed when it does but the suite
 * was given no `openPeer`.
 */
export function withPeer(h: Harness, ctx: SuiteContext): Harness {
  return requiring(h, () =>
    declared('', ctx.store.capabilities, 'shared', {
      name: 'openPeer',
      given: ctx.openPeer !== undefined,
    }),
  )
}

/**
 * `h` for cases that close and reopen the store: run when it declares
 * `capabilities.persistent`, skipped visibly when it does not, failed when it does but the
 * suite was given no `reopen`.
 */
export function withReopen(h: Harness, ctx: SuiteContext): Harness {
  return requiring(h, () =>
    declared('', ctx.store.capabilities, 'persistent', {
      name: 'reopen',
      given: ctx.reopen !== undefined,
    }),
  )
}
