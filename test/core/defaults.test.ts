import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  clampToInt64,
  deduceDefaults,
  formatBytes,
  type SystemDetector,
} from '../../src/core/index.js'

const MiB = 1024 ** 2
const GiB = 1024 ** 3
const detector = (mem: number, cpus: number): SystemDetector => ({
  availableMemory: () => mem,
  availableCPUs: () => cpus,
})

describe('deduceDefaults', () => {
  // Test vectors of the Go reference's defaults_test.
  const cases = [
    { mem: 8 * GiB, cpus: 8, want: [2 * GiB, 1 * GiB, 1 * GiB, 8, 16, 4] },
    { mem: 512 * MiB, cpus: 1, want: [256 * MiB, 64 * MiB, 128 * MiB, 4, 8, 4] },
    { mem: 256 * MiB, cpus: 1, want: [256 * MiB, 64 * MiB, 128 * MiB, 4, 8, 4] },
    { mem: 256 * GiB, cpus: 64, want: [64 * GiB, 32 * GiB, 32 * GiB, 64, 128, 4] },
    { mem: 4 * GiB, cpus: 4, want: [1 * GiB, 512 * MiB, 512 * MiB, 4, 8, 4] },
    { mem: 2 * GiB, cpus: 32, want: [512 * MiB, 256 * MiB, 256 * MiB, 32, 64, 4] },
  ]
  for (const { mem, cpus, want } of cases) {
    it(`derives sizing for ${formatBytes(mem)} and ${cpus} CPUs`, () => {
      const d = deduceDefaults(detector(mem, cpus))
      assert.deepEqual(
        [
          d.localStoreSize,
          d.readBufferSize,
          d.maxPendingSize,
          d.parallelSyncs,
          d.parallelFetches,
          d.prefetchWorkers,
        ],
        want,
      )
    })
  }

  it('always uses 4 prefetch workers whatever the CPU count', () => {
    for (let cpus = 1; cpus <= 128; cpus++) {
      assert.equal(deduceDefaults(detector(8 * GiB, cpus)).prefetchWorkers, 4)
    }
  })

  it('names every field in toString', () => {
    const s = deduceDefaults(detector(8 * GiB, 8)).toString()
    for (const field of [
      'LocalStoreSize',
      'ReadBufferSize',
      'ParallelSyncs',
      'ParallelFetches',
      'MaxPendingSize',
    ]) {
      assert.ok(s.includes(field), `${field} missing from ${s}`)
    }
    assert.equal(
      s,
      'LocalStoreSize=2 GiB, ReadBufferSize=1 GiB, ParallelSyncs=8, ParallelFetches=16, MaxPendingSize=1 GiB, PrefetchWorkers=4',
    )
  })

  it('reports no floors when nothing was clamped', () => {
    assert.deepEqual(deduceDefaults(detector(4 * GiB, 4)).hitFloors(), [])
  })

  it('reports all four floors in order for a tiny machine', () => {
    assert.deepEqual(deduceDefaults(detector(256 * MiB, 1)).hitFloors(), [
      'local_store_size floored at 256 MiB',
      'read_buffer_size floored at 64 MiB',
      'parallel_syncs floored at 4',
      'parallel_fetches floored at 8',
    ])
  })

  it('does not report a value that naturally equals its floor', () => {
    // 512 MiB / 8 = 64 MiB exactly: not clamped.
    const floors = deduceDefaults(detector(512 * MiB, 1)).hitFloors()
    assert.ok(floors.includes('local_store_size floored at 256 MiB'))
    assert.ok(!floors.some((f) => f.startsWith('read_buffer_size')))
  })

  it('treats negative or fractional detector figures as their floor, never NaN', () => {
    const d = deduceDefaults(detector(-1, Number.NaN))
    assert.equal(d.localStoreSize, 256 * MiB)
    assert.equal(d.parallelSyncs, 4)
  })
})

describe('formatBytes', () => {
  const cases: [number, string][] = [
    [0, '0 MiB'],
    [512 * 1024, '0.5 MiB'],
    [64 * MiB, '64 MiB'],
    [512 * MiB, '512 MiB'],
    [1 * GiB, '1 GiB'],
    [1.5 * GiB, '1.5 GiB'],
    [256 * GiB, '256 GiB'],
  ]
  for (const [bytes, want] of cases) {
    it(`formats ${bytes} as ${want}`, () => assert.equal(formatBytes(bytes), want))
  }
})

describe('clampToInt64', () => {
  it('passes bigint values in range through and clamps above 2^63-1', () => {
    const max = 2n ** 63n - 1n
    assert.equal(clampToInt64(0n), 0n)
    assert.equal(clampToInt64(42n), 42n)
    assert.equal(clampToInt64(max), max)
    assert.equal(clampToInt64(max + 1n), max)
    assert.equal(clampToInt64(2n ** 64n - 1n), max) // MaxUint64
  })

  it('clamps numbers beyond 2^53-1 to MAX_SAFE_INTEGER so results stay exact', () => {
    assert.equal(clampToInt64(0), 0)
    assert.equal(clampToInt64(42), 42)
    assert.equal(clampToInt64(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER)
    assert.equal(clampToInt64(2 ** 63), Number.MAX_SAFE_INTEGER)
    assert.equal(clampToInt64(2 ** 64), Number.MAX_SAFE_INTEGER)
    assert.equal(clampToInt64(-5), 0)
    assert.equal(clampToInt64(Number.NaN), 0)
  })
})
