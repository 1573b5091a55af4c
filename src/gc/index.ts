/** Garbage collection of the remote store (docs/gc.md). */
export { type CollectGarbageOptions, collectGarbage } from './collect-garbage.js'
export { LiveSet } from './live-set.js'
