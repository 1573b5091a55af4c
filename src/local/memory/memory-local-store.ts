/**
 * MemoryLocalStore: the local tier kept in memory. Rows still go to the given metadata store;
 * `capabilities.durable` is false, so the engine never acknowledges its flush as durable.
 */
import type { MetadataStore } from '../../core/metadata-store.js'
import { LocalTier } from '../common/local-tier.js'
import { newTierState, type TierOptions } from '../common/state/tier-state.js'
import { MemoryBlockMedium } from './memory-block-medium.js'

/** Options of {@link MemoryLocalStore.open}; `maxDisk` caps the bytes held in memory. */
export interface MemoryLocalStoreOptions extends Omit<TierOptions, 'maxMemory'> {
  /** Where block rows and payload records live. */
  readonly metadata: MetadataStore
}

/**
 * A {@link LocalStore} in memory (tests, caches in front of a durable remote).
 * @example
 * await using store = await MemoryLocalStore.open({ metadata })
 */
export class MemoryLocalStore extends LocalTier {
  /** Opens an empty store. */
  static async open(options: MemoryLocalStoreOptions): Promise<MemoryLocalStore> {
    const state = newTierState(options.metadata, new MemoryBlockMedium(), false, options)
    return new MemoryLocalStore(state, { durable: false, persistent: false })
  }
}
