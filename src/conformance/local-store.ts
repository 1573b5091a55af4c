/**
 * `describeLocalStore`: the exported conformance suite of the LocalStore contract. Every case
 * runs on a fresh store and metadata store from `create`, closed afterwards.
 */
import {
  type CaseContext,
  type Harness,
  nodeTestHarness,
  type SuiteOptions,
  skipCase,
} from './harness.js'
import { registerBasicCases } from './local-store/basic-cases.js'
import { registerConcurrencyCases } from './local-store/concurrency-cases.js'
import {
  FakeRemote,
  type LocalCaseSession,
  type LocalStoreFixture,
  type LocalStoreFixtureHooks,
  type WithFixture,
} from './local-store/fixture.js'
import { registerOwnershipCases } from './local-store/ownership-cases.js'
import { registerPersistenceCases } from './local-store/persistence-cases.js'
import { registerReplaceCases } from './local-store/replace-cases.js'
import { registerSafetyCases } from './local-store/safety-cases.js'

export type {
  LocalCaseSession,
  LocalStoreFixture,
  LocalStoreFixtureHooks,
  WithFixture,
} from './local-store/fixture.js'

/** Options of {@link describeLocalStore}, typed by the fixture `create` returns. */
export interface LocalStoreSuiteOptions<F extends LocalStoreFixture = LocalStoreFixture>
  extends SuiteOptions<F> {
  /**
   * A fresh local store over a fresh metadata store, opened with the given hooks (the suite
   * passes `loadRemoteBlock` and `onRemoteReferenceDropped` to test read-modify-write).
   */
  create(hooks?: LocalStoreFixtureHooks): F | Promise<F>
  /**
   * Closes the fixture's local store and opens a new one on the same data and the same
   * metadata store, with the given hooks. Required when the store declares
   * `capabilities.persistent` (the persistence cases then fail without it); ignored otherwise.
   */
  reopen?(fixture: F, hooks?: LocalStoreFixtureHooks): Promise<F>
}

/**
 * Registers the LocalStore conformance cases: the Go package's `localtest` cases adapted to the
 * contract, plus sparse writes, truncate semantics, row ownership, read-modify-write, hostile
 * payload IDs, close and abort behaviour, concurrency and, for a store that declares
 * `capabilities.persistent`, persistence across reopen.
 * @example
 * describeLocalStore({
 *   name: 'MemoryLocalStore',
 *   create: async (hooks) => {
 *     const metadata = await MemoryMetadataStore.open()
 *     return { store: await MemoryLocalStore.open({ metadata, ...hooks }), metadata }
 *   },
 * })
 */
export function describeLocalStore<F extends LocalStoreFixture>(
  options: LocalStoreSuiteOptions<F>,
): void {
  const h: Harness = options.harness ?? nodeTestHarness
  const withFixture: WithFixture = (fn, withRemote, gate) => async (t) => {
    const remote = new FakeRemote()
    const hooks = withRemote === true ? remote.hooks : undefined
    // The fixture the suite closes: the reopened one once the case reopened.
    const current = { f: await options.create(hooks) }
    const session: LocalCaseSession = {
      reopen: async () => {
        if (options.reopen === undefined) throw new Error('the suite was given no reopen')
        current.f = await options.reopen(current.f, hooks)
        return current.f
      },
    }
    try {
      const reason = gate?.(current.f, options.reopen !== undefined)
      if (reason !== undefined) return skipCase(t, reason)
      await fn(current.f, remote, session)
    } finally {
      const f = current.f
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
    registerPersistenceCases(h, withFixture)
  })
}
