/**
 * Concurrency, where operations on one store must never corrupt each other: disjoint writers
 * on one file, writers on many files, flush racing writes.
 */
import assert from 'node:assert/strict'
import type { Harness } from '../harness.js'
import type { WithFixture } from './fixture.js'
import { pattern, readLocal } from './fixture.js'

/** Registers the concurrency cases. */
export function registerConcurrencyCases(h: Harness, withFixture: WithFixture): void {
  h.it(
    'eight concurrent 4 KiB writers to disjoint ranges of one file all land',
    withFixture(async ({ store }) => {
      await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.writeAt('one', pattern(4096, i), i * 4096)),
      )
      for (let i = 0; i < 8; i++) {
        assert.deepEqual(await readLocal(store, 'one', i * 4096, 4096), pattern(4096, i))
      }
    }),
  )

  h.it(
    'ten concurrent writers to different files all land',
    withFixture(async ({ store }) => {
      const size = 1024 * 1024
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.writeAt(`f${i}`, pattern(size, i), 0)),
      )
      for (let i = 0; i < 10; i++) {
        assert.deepEqual(await readLocal(store, `f${i}`, 0, size), pattern(size, i))
      }
    }),
  )

  h.it(
    'flushes racing writes never fail and the last bytes win',
    withFixture(async ({ store }) => {
      const writes = (async () => {
        for (let i = 0; i < 100; i++) await store.writeAt('r', pattern(4096, i), (i % 10) * 4096)
      })()
      const flushes = (async () => {
        for (let i = 0; i < 20; i++) await store.flush('r')
      })()
      await Promise.all([writes, flushes])
      await store.flush('r')
      for (let j = 0; j < 10; j++) {
        assert.deepEqual(await readLocal(store, 'r', j * 4096, 4096), pattern(4096, 90 + j))
      }
    }),
  )
}
