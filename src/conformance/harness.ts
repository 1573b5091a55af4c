/**
 * The subset of a test runner the conformance suites need. node:test is the default;
 * vitest (or any runner with the same four functions) can be injected.
 */
import * as nodeTest from 'node:test'

/**
 * What a case may ask of its runner while it runs: node:test's and vitest's test contexts both
 * have it.
 */
export interface CaseContext {
  /** Reports the running case as skipped, with the reason (the case returns right after). */
  skip(reason?: string): void
}

/** Test-runner functions used by the suites. */
export interface Harness {
  describe(name: string, fn: () => void | Promise<void>): void
  /**
   * Registers a case. Pass the runner's test context to `fn`: a case that cannot run on the
   * configuration under test (no remote, no reopen) reports itself skipped through it.
   */
  it(name: string, fn: (t?: CaseContext) => void | Promise<void>): void
  beforeEach(fn: () => void | Promise<void>): void
  afterEach(fn: () => void | Promise<void>): void
}

/** node:test's functions as a {@link Harness}. */
export const nodeTestHarness: Harness = {
  describe: (name, fn) => {
    void nodeTest.describe(name, fn)
  },
  it: (name, fn) => {
    void nodeTest.it(name, (t) => fn(t))
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

/**
 * Ends a case that cannot run on the configuration under test, visibly: reported as skipped
 * through the runner's context, never as a pass that checked nothing. A harness that gives its
 * cases no context cannot skip, so the case fails with the reason instead.
 */
export function skipCase(t: CaseContext | undefined, reason: string): void {
  if (t === undefined || typeof t.skip !== 'function') {
    throw new Error(`cannot run here (${reason}), and this harness cannot report a skip`)
  }
  t.skip(reason)
}

/**
 * `h` whose cases skip themselves (see {@link skipCase}) when `missing()` names something the
 * configuration under test lacks, checked when each case runs.
 */
export function requiring(h: Harness, missing: () => string | undefined): Harness {
  return {
    ...h,
    it: (name, fn) =>
      h.it(name, async (t) => {
        const reason = missing()
        if (reason !== undefined) return skipCase(t, reason)
        await fn(t)
      }),
  }
}
