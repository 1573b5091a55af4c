/** What each group of metadata store cases sees of the suite. */
import type { MetadataStore } from '../../core/metadata-store.js'

/** The store under test and the optional capabilities the runner provided. */
export interface SuiteContext {
  /** The fresh store of the running case. */
  readonly store: MetadataStore
  /** Closes the store and opens its data again; the new handle becomes `store`. */
  readonly reopen: (() => Promise<MetadataStore>) | undefined
  /** A second handle on the same data; the case must close it. */
  readonly openPeer: (() => Promise<MetadataStore>) | undefined
}
