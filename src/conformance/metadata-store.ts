/**
 * `describeMetadataStore`: the conformance suite every {@link MetadataStore} must pass: the
 * Go reference's storetest cases, its memory-store unit cases, the gaps they left, and the
 * contract's versioned compare-and-set, payload records, scale and lifecycle rules.
 */
import type { MetadataStore } from '../core/metadata-store.js'
import { nodeTestHarness, type SuiteOptions } from './harness.js'
import { blockCases } from './metadata-store/block-cases.js'
import { casCases } from './metadata-store/cas-cases.js'
import { chunkRootCases } from './metadata-store/chunk-root-cases.js'
import type { SuiteContext } from './metadata-store/context.js'
import { gcCases } from './metadata-store/gc-cases.js'
import { hashCases } from './metadata-store/hash-cases.js'
import { lifecycleCases } from './metadata-store/lifecycle-cases.js'
import { listingCases } from './metadata-store/listing-cases.js'
import { payloadCases } from './metadata-store/payload-cases.js'
import { refCountCases } from './metadata-store/ref-count-cases.js'
import { renameCases } from './metadata-store/rename-cases.js'
import { scaleCases } from './metadata-store/scale-cases.js'
import { versionReuseCases } from './metadata-store/version-reuse-cases.js'

/** Options of {@link describeMetadataStore}, typed by the store class under test. */
export interface MetadataStoreSuiteOptions<S extends MetadataStore = MetadataStore>
  extends SuiteOptions<S> {
  /**
   * Opens a second, independent handle on the same data (another process or node); the case
   * closes it. Required when the store declares `capabilities.shared` (the cross-handle cases
   * then fail without it); ignored otherwise. A capability cannot say how to open a second
   * handle, hence this option.
   */
  openPeer?(store: S): Promise<S>
}

/**
 * Registers the metadata store conformance suite with the harness (node:test by default): a
 * fresh store from `create` for every case, closed after it, then `destroy`. The persistence
 * cases run when the store declares `capabilities.persistent` (with `reopen`), the
 * cross-handle cases when it declares `capabilities.shared` (with `openPeer`); otherwise they
 * are reported skipped.
 * @example
 * describeMetadataStore({ name: 'MemoryMetadataStore', create: () => MemoryMetadataStore.open() })
 */
export function describeMetadataStore<S extends MetadataStore>(
  options: MetadataStoreSuiteOptions<S>,
): void {
  const h = options.harness ?? nodeTestHarness
  let store: S | undefined
  const current = (): S => {
    if (store === undefined) throw new Error('no store: beforeEach did not run')
    return store
  }
  const ctx: SuiteContext = {
    get store() {
      return current()
    },
    reopen:
      options.reopen === undefined
        ? undefined
        : async () => {
            const reopen = options.reopen!
            store = await reopen(current())
            return store
          },
    openPeer:
      options.openPeer === undefined
        ? undefined
        : async () => {
            const openPeer = options.openPeer!
            return openPeer(current())
          },
  }

  h.describe(`${options.name} (MetadataStore conformance)`, () => {
    h.beforeEach(async () => {
      store = await options.create()
    })
    h.afterEach(async () => {
      const s = store
      store = undefined
      if (s === undefined) return
      await s.close()
      await options.destroy?.(s)
    })
    listingCases(h, ctx)
    blockCases(h, ctx)
    chunkRootCases(h, ctx)
    refCountCases(h, ctx)
    hashCases(h, ctx)
    casCases(h, ctx)
    payloadCases(h, ctx)
    scaleCases(h, ctx)
    lifecycleCases(h, ctx)
    gcCases(h, ctx)
    renameCases(h, ctx)
    versionReuseCases(h, ctx)
  })
}
