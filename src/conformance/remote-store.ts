/**
 * `describeRemoteStore`: the RemoteStore conformance suite (the Go `remotetest` cases plus
 * ranges, keys, aborts, scale, isolation and close), runnable with any {@link Harness}.
 */
import type { RemoteStore } from '../core/remote-store.js'
import { type Harness, nodeTestHarness, type SuiteOptions } from './harness.js'
import { registerBasicCases } from './remote-store-basic.js'
import { registerCapabilityCases } from './remote-store-capabilities.js'
import type { RemoteSuiteContext } from './remote-store-context.js'
import { registerEdgeCases } from './remote-store-edge.js'

export type { RemoteSuiteContext } from './remote-store-context.js'

/**
 * Options of {@link describeRemoteStore}, typed by the store class under test so `reopen`,
 * `destroy` (and any helper of the caller) get the concrete store without a cast. `reopen`
 * is required when the store declares `capabilities.persistent`.
 */
export interface RemoteStoreSuiteOptions<S extends RemoteStore = RemoteStore>
  extends SuiteOptions<S> {
  /** Keys written by the listing-pagination case (default 1,005: more than one S3 page). */
  readonly paginationKeys?: number | undefined
  /**
   * False for a server that cannot answer a ranged read of an empty object (s3rver drops the
   * connection); the case then checks only the whole-object read of an empty object. A quirk
   * of a test server, not something the store declares, hence an option.
   */
  readonly emptyObjectRangeReads?: boolean | undefined
}

/**
 * Registers the RemoteStore conformance suite: a fresh store from `create` for every case
 * (sharing no objects with any other), closed after it, then `destroy`. The persistence case
 * runs when the store declares `capabilities.persistent` (with `reopen`), the ranged-read
 * case when it declares `capabilities.rangeReads`; otherwise they are reported skipped.
 *
 * @example
 * describeRemoteStore({ name: 'MemoryRemoteStore', create: () => new MemoryRemoteStore() })
 */
export function describeRemoteStore<S extends RemoteStore>(
  options: RemoteStoreSuiteOptions<S>,
): void {
  const harness = options.harness ?? nodeTestHarness
  let current: S | undefined
  let extras: S[] = []
  const dispose = async (s: S): Promise<void> => {
    await s.close()
    await options.destroy?.(s)
  }
  const ctx: RemoteSuiteContext = {
    harness,
    store: () => {
      if (current === undefined) throw new Error('no store: create() failed')
      return current
    },
    another: async () => {
      const s = await options.create()
      extras.push(s)
      return s
    },
    reopen:
      options.reopen === undefined
        ? undefined
        : async () => {
            const old = current
            if (old === undefined) throw new Error('no store: create() failed')
            // When the reopen fails, the old store is the one closed and destroyed.
            current = await options.reopen!(old)
            return current
          },
    paginationKeys: options.paginationKeys ?? 1005,
    emptyObjectRangeReads: options.emptyObjectRangeReads ?? true,
  }
  harness.describe(`RemoteStore conformance: ${options.name}`, () => {
    harness.beforeEach(async () => {
      current = await options.create()
    })
    harness.afterEach(async () => {
      const all = current === undefined ? extras : [current, ...extras]
      current = undefined
      extras = []
      for (const s of all) await dispose(s)
    })
    registerBasicCases(ctx)
    registerEdgeCases(ctx)
    registerCapabilityCases(ctx)
  })
}
