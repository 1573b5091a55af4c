/**
 * The subset of a test runner the conformance suites need. node:test is the default;
 * vitest (or any runner with the same four functions) can be injected.
 */
import * as nodeTest from 'node:test'

/** Test-runner functions used by the suites. */
export interface Harness {
  describe(name: string, fn: () => void | Promise<void>): void
  it(name: string, fn: () => void | Promise<void>): void
  beforeEach(fn: () => void | Promise<void>): void
  afterEach(fn: () => void | Promise<void>): void
}

/** node:test's functions as a {@link Harness}. */
export const nodeTestHarness: Harness = {
  describe: (name, fn) => {
    void nodeTest.describe(name, fn)
  },
  it: (name, fn) => {
    void nodeTest.it(name, fn)
  },
  beforeEach: (fn) => nodeTest.beforeEach(fn),
  afterEach: (fn) => nodeTest.afterEach(fn),
}

/** Options shared by every `describeXxx` suite. */
export interface SuiteOptions<S> {
  /** Shown in test names, e.g. "SqliteMetadataStore". */
  readonly name: string
  /** Returns a fresh store that shares no data with any other instance. */
  create(): S | Promise<S>
  /** Extra cleanup after the suite closed the store (remove a temp dir, drop a schema). */
  destroy?(store: S): void | Promise<void>
  /** Test runner; node:test by default. */
  readonly harness?: Harness | undefined
}
