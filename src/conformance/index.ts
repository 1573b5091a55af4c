/**
 * Conformance suites for store implementations and engines, runnable under any test runner.
 * Every suite is registered the same way: `describeXxx({ name, create, reopen?, destroy?,
 * harness? })` (see {@link SuiteOptions}); docs/implementing-a-store.md shows each in use.
 */
export * from './block-store.js'
export { FaultInjectingRemoteStore } from './faulty-remote-store.js'
export * from './harness.js'
export {
  describeLocalStore,
  type LocalStoreFixture,
  type LocalStoreFixtureHooks,
  type LocalStoreSuiteOptions,
} from './local-store.js'
export { describeMetadataStore, type MetadataStoreSuiteOptions } from './metadata-store.js'
export { describeRemoteStore, type RemoteStoreSuiteOptions } from './remote-store.js'
