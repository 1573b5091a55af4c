/**
 * A metadata store wrapper that fails every call with BS_UNAVAILABLE while `down` (the
 * database gone); a fake only to inject the fault, over a real store.
 */
import { BlockStoreError } from '../../../src/core/errors.js'
import type { MetadataStore } from '../../../src/core/metadata-store.js'

/** The wrapped store and its switch. */
export interface FailingMetadata {
  readonly store: MetadataStore
  down: boolean
  /** Calls refused while down. */
  refused: number
}

/** Wraps `inner`; methods run on `inner` itself (its private fields stay reachable). */
export function failingMetadata(inner: MetadataStore): FailingMetadata {
  const ctl: FailingMetadata = {
    down: false,
    refused: 0,
    store: new Proxy(inner, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown
        if (typeof value !== 'function' || prop === 'close') return value
        return (...args: unknown[]) => {
          if (ctl.down) {
            ctl.refused++
            const err = new BlockStoreError(
              'BS_UNAVAILABLE',
              `metadata store unavailable (injected, ${String(prop)})`,
            )
            // Async methods reject; a sync one (none in the contract) would throw.
            return Promise.reject(err)
          }
          return (value as (...a: unknown[]) => unknown).apply(target, args)
        }
      },
    }),
  }
  return ctl
}
