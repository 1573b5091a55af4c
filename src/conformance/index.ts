/** Conformance suites for store implementations and engines, runnable under any test runner. */
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
