/**
 * `describeLocalStore`: the exported conformance suite of the LocalStore contract. Every case
 * runs on a fresh store and metadata store from `create`, closed afterwards.
 */
import { type Harness, nodeTestHarness, type SuiteOptions } from './harness.js'
import { registerBasicCases } from './local-store/basic-cases.js'
import { registerConcurrencyCases } from './local-store/concurrency-cases.js'
import {
  FakeRemote,
  type LocalStoreFixture,
  type LocalStoreFixtureHooks,
} from './local-store/fixture.js'
import { registerOwnershipCases } from './local-store/ownership-cases.js'
import { registerReplaceCases } from './local-store/replace-cases.js'
import { registerSafetyCases } from './local-store/safety-cases.js'

export type { LocalStoreFixture, LocalStoreFixtureHooks } from './local-store/fixture.js'

/** Options of {@link describeLocalStore}. */
export interface LocalStoreSuiteOptions extends SuiteOptions<LocalStoreFixture> {
  /**
   * A fresh local store over a fresh metadata store, opened with the given hooks (the suite
   * passes `loadRemoteBlock` and `onRemoteReferenceDropped` to test read-modify-write).
   */
  create(hooks?: LocalStoreFixtureHooks): LocalStoreFixture | Promise<LocalStoreFixture>
}

/**
 * Runs `fn` on a fresh fixture and always closes it; with `withRemote` the store is opened
 * with the hooks of a fresh {@link FakeRemote} handed to `fn`.
 */
export type WithFixture = (
  fn: (f: LocalStoreFixture, remote: FakeRemote) => Promise<void>,
  withRemote?: boolean,
) => () => Promise<void>

/**
 * Registers the LocalStore conformance cases: the 17 upstream `localtest` cases adapted to the
 * contract, plus sparse writes, truncate semantics, row ownership, read-modify-write, hostile
 * payload IDs, close and abort behaviour, and concurrency.
 * @example
 * describeLocalStore({ name: 'FsLocalStore', create: async (hooks) => ({ store, metadata }) })
 */
export function describeLocalStore(options: LocalStoreSuiteOptions): void {
  const h: Harness = options.harness ?? nodeTestHarness
  const withFixture: WithFixture = (fn, withRemote) => async () => {
    const remote = new FakeRemote()
    const f = await options.create(withRemote === true ? remote.hooks : undefined)
    try {
      await fn(f, remote)
    } finally {
      await f.store.close().catch(() => {})
      await f.metadata.close()
      await options.destroy?.(f)
    }
  }
  h.describe(`${options.name} (LocalStore conformance)`, () => {
    registerBasicCases(h, withFixture)
    registerOwnershipCases(h, withFixture)
    registerReplaceCases(h, withFixture)
    registerSafetyCases(h, withFixture)
    registerConcurrencyCases(h, withFixture)
  })
}
