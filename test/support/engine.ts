/** Shared engine settings for tests: quick health detection and background uploads. */
import type { SyncerConfig } from '../../src/engine/options.js'

/** Health probed every 50 ms with a threshold of 1, uploads every 50 ms once idle 50 ms. */
export const fastSyncer: SyncerConfig = {
  healthIntervalMs: 50,
  unhealthyIntervalMs: 50,
  failureThreshold: 1,
  probeTimeoutMs: 1000,
  uploadIntervalMs: 50,
  uploadDelayMs: 50,
}
