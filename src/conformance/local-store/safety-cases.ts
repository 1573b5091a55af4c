/**
 * Data safety and input checks: sparse writes (gaps read as zeros, never as old bytes),
 * truncate then extend (zeros where the cut bytes were), hostile payload IDs, invalid offsets,
 * input copying, aborted signals.
 */
import assert from 'node:assert/strict'
import { BlockSize } from '../../core/constants.js'
import { isBlockStoreError } from '../../core/errors.js'
import type { Harness } from '../harness.js'
import type { WithFixture } from './fixture.js'
import { pattern, readLocal } from './fixture.js'

const HOSTILE_IDS = [
  '',
  '../escape',
  'a/../../b',
  '/etc/passwd',
  'a//b',
  './a',
  'nul\0byte',
  '\uD800lone',
  'x'.repeat(1025),
]

/** Registers the safety cases. */
export function registerSafetyCases(h: Harness, withFixture: WithFixture): void {
  h.it(
    'a sparse write leaves zeros in the gap, inside a block and across blocks',
    withFixture(async ({ store }) => {
      await store.writeAt('s', pattern(100, 1), 1000)
      assert.deepEqual(await readLocal(store, 's', 0, 1000), new Uint8Array(1000))
      await store.writeAt('s', pattern(100, 2), 3 * BlockSize + 5)
      const mid = await readLocal(store, 's', 1100, 3 * BlockSize + 5 - 1100)
      assert.ok(mid.every((b) => b === 0))
      assert.equal(await store.getFileSize('s'), 3 * BlockSize + 105)
    }),
  )

  h.it(
    'truncate then extend reads zeros where old bytes were',
    withFixture(async ({ store }) => {
      await store.writeAt('t', pattern(BlockSize + 8192, 3), 0)
      await store.flush('t')
      await store.truncate('t', 100)
      await store.truncate('t', BlockSize + 8192)
      const back = await readLocal(store, 't', 0, BlockSize + 8192)
      assert.deepEqual(back.subarray(0, 100), pattern(100, 3))
      assert.ok(back.subarray(100).every((b) => b === 0))
      await store.writeAt('t', pattern(10, 4), 5000)
      const again = await readLocal(store, 't', 100, 4900)
      assert.ok(again.every((b) => b === 0))
    }),
  )

  h.it(
    'a sparse write into a block never reads bytes another block held before',
    withFixture(async ({ store }) => {
      // Write buffers are reused once freed (flush, truncate, delete): fill several blocks,
      // free them in each way, then write sparsely into fresh blocks and check the gaps.
      for (let i = 0; i < 6; i++) await store.writeAt(`old${i}`, pattern(BlockSize - 7, i), 0)
      await store.flush('old0')
      await store.flush('old1')
      await store.truncate('old2', 10)
      await store.truncate('old3', 0)
      await store.delete('old4')
      await store.writeAt('old5', pattern(3, 9), 1)
      await store.truncate('old5', 2)
      await store.truncate('old5', 0)
      for (let i = 0; i < 6; i++) {
        await store.writeAt(`new${i}`, pattern(5, 50 + i), 4096 * (i + 1))
        await store.writeAt(`new${i}`, pattern(5, 60 + i), BlockSize - 5)
        const back = await readLocal(store, `new${i}`, 0, BlockSize)
        assert.ok(
          back.subarray(0, 4096 * (i + 1)).every((b) => b === 0),
          `head of new${i}`,
        )
        const gap = back.subarray(4096 * (i + 1) + 5, BlockSize - 5)
        assert.ok(
          gap.every((b) => b === 0),
          `gap of new${i}`,
        )
      }
    }),
  )

  h.it(
    'hostile payload IDs are rejected with BS_INVALID_PAYLOAD_ID and create nothing',
    withFixture(async (f) => {
      for (const id of HOSTILE_IDS) {
        const bad = (e: unknown): boolean => isBlockStoreError(e, 'BS_INVALID_PAYLOAD_ID')
        await assert.rejects(f.store.writeAt(id, pattern(10), 0), bad)
        await assert.rejects(f.store.readAt(id, new Uint8Array(1), 0), bad)
        await assert.rejects(f.store.truncate(id, 10), bad)
        await assert.rejects(f.store.delete(id), bad)
        await assert.rejects(f.store.flush(id), bad)
      }
      assert.deepEqual(f.store.listFiles(), [])
      assert.deepEqual((await f.metadata.listPayloads()).items, [])
      assert.equal(f.store.stats().diskUsed, 0)
    }),
  )

  h.it(
    'payload IDs with slashes, unicode and block-like suffixes stay distinct',
    withFixture(async ({ store }) => {
      const ids = ['export/a.txt', 'export/a.txt/0', 'héllo/世界', 'x/block-3', 'a-cow-1234']
      for (const [i, id] of ids.entries()) await store.writeAt(id, pattern(64, i), 0)
      for (const [i, id] of ids.entries())
        assert.deepEqual(await readLocal(store, id, 0, 64), pattern(64, i))
    }),
  )

  h.it(
    'invalid offsets and sizes are rejected',
    withFixture(async ({ store }) => {
      const b = new Uint8Array(1)
      for (const off of [-1, 1.5, Number.NaN, 2 ** 60]) {
        await assert.rejects(store.writeAt('p', b, off), (e) => isBlockStoreError(e))
        await assert.rejects(store.readAt('p', b, off), (e) => isBlockStoreError(e))
      }
      await assert.rejects(store.truncate('p', -5), (e) => isBlockStoreError(e, 'BS_INVALID_SIZE'))
    }),
  )

  h.it(
    'changing the input after writeAt does not change the stored bytes',
    withFixture(async ({ store }) => {
      const data = pattern(4096)
      const copy = Uint8Array.from(data)
      await store.writeAt('p', data, 0)
      data.fill(0)
      assert.deepEqual(await readLocal(store, 'p', 0, 4096), copy)
    }),
  )

  h.it(
    'an aborted signal rejects with its reason and writes nothing',
    withFixture(async ({ store }) => {
      const ac = new AbortController()
      const reason = new Error('stop')
      ac.abort(reason)
      const o = { signal: ac.signal }
      await assert.rejects(store.writeAt('p', pattern(10), 0, o), (e) => e === reason)
      await assert.rejects(store.readAt('p', new Uint8Array(1), 0, o), (e) => e === reason)
      await assert.rejects(store.flush('p', o), (e) => e === reason)
      await assert.rejects(store.truncate('p', 0, o), (e) => e === reason)
      assert.equal(await store.getFileSize('p'), undefined)
      assert.equal((await store.healthcheck(o)).status, 'unknown')
    }),
  )

  h.it(
    'reads past the end stop at the payload size',
    withFixture(async ({ store }) => {
      await store.writeAt('p', pattern(100), 0)
      const dest = new Uint8Array(200).fill(9)
      const r = await store.readAt('p', dest, 50)
      assert.equal(r.length, 50)
      assert.deepEqual(dest.subarray(0, 50), pattern(100).subarray(50))
      assert.ok(dest.subarray(50).every((b) => b === 9))
      assert.equal((await store.readAt('p', dest, 500)).length, 0)
    }),
  )
}
