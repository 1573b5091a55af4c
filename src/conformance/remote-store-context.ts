/** What a RemoteStore conformance case sees (its own module, so the cases and the suite that
 * registers them import it without importing each other). */
import type { RemoteStore } from '../core/remote-store.js'
import type { Harness } from './harness.js'

/** What a case sees: the fresh store of the running test and a factory for more. */
export interface RemoteSuiteContext {
  readonly harness: Harness
  /** The store created for the running test (after a reopen, the reopened one). */
  store(): RemoteStore
  /** Another fresh store, closed and destroyed after the test. */
  another(): Promise<RemoteStore>
  /** Reopens the running test's store through the suite's `reopen`; undefined without one. */
  readonly reopen: (() => Promise<RemoteStore>) | undefined
  readonly paginationKeys: number
  readonly emptyObjectRangeReads: boolean
}
