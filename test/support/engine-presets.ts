/**
 * Named engine configurations shared by several suites, as options of `openTestEngine`: the
 * reliability tests' all-on-disk engine and the benchmarks' engine.
 */
import { join } from 'node:path'
import type { RemoteStore } from '../../src/core/remote-store.js'
import { fastSyncer, type TestEngineOptions } from './engine-fixture.js'

/**
 * Everything on disk under the engine's dir: fs local (opened by the engine from its config;
 * a writer over the disk cap waits 300 ms for space), fs remote and SQLite, no read buffer,
 * background uploads every 50 ms. The reliability tests' engine.
 */
export const onDisk = {
  local: { kind: 'fs', open: 'config', spaceWaitMs: 300 },
  remote: { kind: 'fs' },
  metadata: { kind: 'sqlite' },
  faults: false,
  syncer: fastSyncer,
  readBufferBytes: 0,
} as const satisfies TestEngineOptions

/**
 * The benchmarks' engine in `dir`: fs local, SQLite and (unless `remote` is given) an fs
 * remote, all opened by the engine from configs, so each open starts them cold; `remote` as it
 * is (no wrapper in the measured path); 8 uploads and 8 fetches in flight, uploads only when
 * the benchmark drains; read buffer, prefetch and ranged reads at the engine's defaults unless
 * given.
 */
export function benchEngine(
  dir: string,
  remote: RemoteStore | undefined,
  knobs: { prefetchWorkers?: number; readBufferBytes?: number; rangedReadThreshold?: number } = {},
): TestEngineOptions {
  return {
    dir,
    local: { kind: 'fs', open: 'config' },
    remote:
      remote === undefined
        ? { config: { kind: 'fs', dir: join(dir, 'remote') } }
        : { store: remote },
    metadata: { config: { kind: 'sqlite', path: join(dir, 'meta.db') } },
    faults: false,
    prefetchWorkers: knobs.prefetchWorkers,
    // Given even when undefined: then the engine's deduced size, not the fixture's 64 MiB.
    readBufferBytes: knobs.readBufferBytes,
    rangedReadThreshold: knobs.rangedReadThreshold,
    syncer: { parallelUploads: 8, parallelFetches: 8, uploadIntervalMs: 3_600_000 },
  }
}
