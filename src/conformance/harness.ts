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

/**
 * The options every `describeXxx` suite takes, typed by what `create` returns: the store itself
 * (`describeRemoteStore`, `describeMetadataStore`) or a fixture holding it and the stores it
 * works with (`describeLocalStore`, `describeBlockStore`). The suite closes what `create` and
 * `reopen` returned after each case, then calls `destroy`.
 */
export interface SuiteOptions<T> {
  /** Shown in test names, e.g. "SqliteMetadataStore". */
  readonly name: string
  /** Opens a fresh subject that shares no data with any other. */
  create(): T | Promise<T>
  /**
   * Closes `subject` and opens its data again, returning the new subject (which the suite then
   * uses, closes and destroys in its place). Required when the store declares
   * `capabilities.persistent`: the persistence cases then fail without it rather than skip,
   * since a declared capability is checked, never assumed. Ignored otherwise.
   */
  reopen?(subject: T): Promise<T>
  /**
   * Extra cleanup after the suite closed the subject (close the stores a fixture opened,
   * remove a temp dir, drop a schema); awaited, and what it returns or resolves with is ignored.
   */
  destroy?(subject: T): unknown
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
 * configuration under test lacks, checked when each case runs. A `missing` that throws fails
 * the case instead (a configuration error, see {@link declared}).
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

/**
 * The gate of a case that checks a capability the store declares, for {@link requiring}: the
 * reason to skip when `capabilities[flag]` is false; nothing (run) when it is true and the
 * suite was given `means`, the option it needs to check the capability (e.g. `reopen`), if
 * any. `what` prefixes the reason ("the metadata store's ").
 * @throws Error when the capability is declared but `means` was not given: the case fails,
 * since a store must not claim what its suite does not check.
 */
export function declared(
  what: string,
  capabilities: object,
  flag: string,
  means?: { readonly name: string; readonly given: boolean },
): string | undefined {
  if ((capabilities as Record<string, unknown>)[flag] !== true) {
    return `${what}capabilities.${flag} is false`
  }
  if (means !== undefined && !means.given) {
    throw new Error(
      `${what}capabilities.${flag} is true, but the suite was given no ${means.name} to check it`,
    )
  }
  return undefined
}
