/**
 * The garbage collection lock of the memory store and the deletion fences its holder places,
 * kept apart from the store like the other backends' locks (sqlite-gc-lock.ts,
 * postgres-gc-lock.ts). One flag per store instance is the lock; "no row references the key,
 * fence it" is atomic against every put because both run synchronously on one thread.
 */
import type { AbortOptions } from '../../core/abort.js'
import { BlockStoreError } from '../../core/errors.js'
import type { GcLock } from '../../core/metadata-store.js'

const BACKEND = 'memory'

/** The lock of one memory store and the remote keys fenced for deletion under it. */
export class MemoryGcLock {
  /** Remote keys fenced for deletion by the garbage collection lock holder. */
  readonly #fences = new Set<string>()
  #locked = false

  /**
   * Rejects a row carrying a fenced remote key: the object behind it is being deleted, and a
   * new reference to it would dangle.
   * @throws {BlockStoreError} BS_BUSY when `key` is fenced.
   */
  assertNotFenced(key: string): void {
    if (key !== '' && this.#fences.has(key)) {
      throw new BlockStoreError('BS_BUSY', `remote key ${key} is being deleted`, {
        backend: BACKEND,
        key,
      })
    }
  }

  /**
   * Takes the lock; `undefined` when it is held. `enter` applies the store's open and abort
   * checks to every call of the lock; `isReferenced` tells whether some row carries a key.
   */
  tryAcquire(
    enter: (options?: AbortOptions) => void,
    isReferenced: (key: string) => boolean,
  ): GcLock | undefined {
    if (this.#locked) return undefined
    this.#locked = true
    let held = true
    const check = (o?: AbortOptions): void => {
      enter(o)
      if (!held)
        throw new BlockStoreError('BS_UNAVAILABLE', 'gc lock released', { backend: BACKEND })
    }
    return {
      fenceUnreferenced: async (key, o) => {
        check(o)
        // Synchronous check-and-fence: atomic against every put (single thread).
        if (isReferenced(key)) return false
        this.#fences.add(key)
        return true
      },
      unfence: async (key, o) => {
        check(o)
        this.#fences.delete(key)
      },
      fencedKeys: async (o) => {
        check(o)
        return [...this.#fences]
      },
      release: async () => {
        if (!held) return
        held = false
        this.#locked = false
      },
    }
  }

  /** Drops every fence (the store is closing; its calls fail from now on). */
  clear(): void {
    this.#fences.clear()
  }
}
