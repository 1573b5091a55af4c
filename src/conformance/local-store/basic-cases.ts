/**
 * The 17 `localtest` cases of the Go package this contract follows, adapted to TypeScript.
 */
import assert from 'node:assert/strict'
import { BlockState } from '../../core/block.js'
import { BlockSize } from '../../core/constants.js'
import { isBlockStoreError } from '../../core/errors.js'
import type { Harness } from '../harness.js'
import type { WithFixture } from './fixture.js'
import { FakeRemote, pattern, readLocal, row, syncBlock } from './fixture.js'

/** Registers the `localtest` cases. */
export function registerBasicCases(h: Harness, withFixture: WithFixture): void {
  h.it(
    'reads back exactly the bytes written',
    withFixture(async ({ store }) => {
      const data = new TextEncoder().encode('hello'.repeat(100))
      await store.writeAt('file1', data, 0)
      assert.deepEqual(await readLocal(store, 'file1', 0, 500), data)
    }),
  )

  h.it(
    'readAt of an unknown payload reports it does not exist and writes nothing',
    withFixture(async ({ store }) => {
      const dest = new Uint8Array(4096).fill(7)
      const r = await store.readAt('nonexistent', dest, 0)
      assert.deepEqual(r, { exists: false, length: 0, remoteBlocks: [] })
      assert.ok(dest.every((b) => b === 7))
    }),
  )

  h.it(
    'a write spanning two blocks reads back whole',
    withFixture(async ({ store }) => {
      const data = pattern(BlockSize + 4096)
      await store.writeAt('file1', data, 0)
      assert.deepEqual(await readLocal(store, 'file1', 0, data.length), data)
    }),
  )

  h.it(
    'flush reports the written blocks and the data stays readable',
    withFixture(async ({ store }) => {
      const data = pattern(4096)
      await store.writeAt('file1', data, 0)
      const flushed = await store.flush('file1')
      assert.equal(flushed.length, 1)
      assert.equal(flushed[0]?.blockIdx, 0)
      assert.equal(flushed[0]?.dataSize, 4096)
      assert.deepEqual(await readLocal(store, 'file1', 0, 4096), data)
    }),
  )

  h.it(
    'after flush the row is Local and a snapshot returns its exact bytes and version',
    withFixture(async (f) => {
      const data = pattern(4096, 3)
      await f.store.writeAt('file1', data, 0)
      await f.store.flush('file1')
      const snap = await f.store.readBlockSnapshot('file1', 0)
      const current = await row(f, 'file1', 0)
      assert.equal(snap.row.state, BlockState.Local)
      assert.equal(snap.row.dataSize, 4096)
      assert.equal(snap.row.version, current.version)
      assert.deepEqual(snap.data, data)
    }),
  )

  h.it(
    'truncate sets the size',
    withFixture(async ({ store }) => {
      await store.writeAt('file1', pattern(8192), 0)
      await store.truncate('file1', 4096)
      assert.equal(await store.getFileSize('file1'), 4096)
    }),
  )

  h.it(
    'evictBlock refuses a block that is not safely remote',
    withFixture(async ({ store }) => {
      await store.writeAt('file1', pattern(4096), 0)
      assert.equal(await store.evictBlock('file1', 0), false)
      await store.flush('file1')
      assert.equal(await store.evictBlock('file1', 0), false)
      assert.equal(await store.isBlockLocal('file1', 0), true)
    }),
  )

  h.it(
    'delete removes the payload, its rows and its record',
    withFixture(async (f) => {
      await f.store.writeAt('file1', pattern(BlockSize + 4096), 0)
      await f.store.flush('file1')
      await f.store.delete('file1')
      assert.equal(await f.store.getFileSize('file1'), undefined)
      assert.deepEqual(await f.metadata.listFileBlocks('file1'), [])
      assert.equal(await f.metadata.getPayload('file1'), undefined)
      assert.ok(!f.store.listFiles().includes('file1'))
      assert.equal(f.store.stats().diskUsed, 0)
    }),
  )

  h.it(
    'getFileSize is undefined for an unknown payload and tracks writes',
    withFixture(async ({ store }) => {
      assert.equal(await store.getFileSize('unknown'), undefined)
      await store.writeAt('file1', pattern(8192), 0)
      assert.equal(await store.getFileSize('file1'), 8192)
    }),
  )

  h.it(
    'listFiles lists exactly the written payloads',
    withFixture(async ({ store }) => {
      for (const id of ['a', 'b', 'c']) await store.writeAt(id, new TextEncoder().encode('data'), 0)
      assert.deepEqual(store.listFiles().sort(), ['a', 'b', 'c'])
    }),
  )

  h.it(
    'stats count files and blocks held',
    withFixture(async ({ store }) => {
      await store.writeAt('f1', pattern(4096), 0)
      await store.writeAt('f2', pattern(4096), 0)
      const st = store.stats()
      assert.equal(st.fileCount, 2)
      assert.ok(st.memBlockCount >= 2)
      assert.equal(st.dirtyBlockCount, 2)
    }),
  )

  h.it(
    'writeFromRemote caches a Remote block that then reads locally',
    withFixture(async (f) => {
      const remote = new FakeRemote()
      const data = pattern(4096, 5)
      await f.store.writeAt('file1', data, 0)
      await f.store.flush('file1')
      await syncBlock(f, remote, 'file1', 0)
      assert.equal(await f.store.evictBlock('file1', 0), true)
      assert.equal(await f.store.writeFromRemote('file1', 0, data), true)
      assert.deepEqual(await readLocal(f.store, 'file1', 0, 4096), data)
      assert.notEqual((await row(f, 'file1', 0)).localPath, '')
      assert.equal(await f.store.writeFromRemote('file1', 0, data), false)
    }),
  )

  h.it(
    'a write after the syncer claimed a block makes the syncer lose its CAS',
    withFixture(async (f) => {
      await f.store.writeAt('file1', pattern(4096), 0)
      await f.store.flush('file1')
      const local = await row(f, 'file1', 0)
      const syncing = await f.metadata.compareAndPutFileBlock(
        { ...local, state: BlockState.Syncing },
        local.version,
      )
      assert.ok(syncing)
      await f.store.writeAt('file1', pattern(16, 9), 100)
      assert.equal((await row(f, 'file1', 0)).state, BlockState.Dirty)
      const lost = await f.metadata.compareAndPutFileBlock(
        { ...syncing, state: BlockState.Remote, blockStoreKey: 'file1/block-0' },
        syncing.version,
      )
      assert.equal(lost, undefined)
    }),
  )

  h.it(
    'getBlockData returns a local block and BS_BLOCK_NOT_FOUND otherwise',
    withFixture(async ({ store }) => {
      const data = pattern(4096)
      await store.writeAt('file1', data, 0)
      assert.deepEqual(await store.getBlockData('file1', 0), data)
      await assert.rejects(store.getBlockData('file1', 1), (e) =>
        isBlockStoreError(e, 'BS_BLOCK_NOT_FOUND'),
      )
    }),
  )

  h.it(
    'isBlockLocal is false before a write and true after',
    withFixture(async ({ store }) => {
      assert.equal(await store.isBlockLocal('file1', 0), false)
      await store.writeAt('file1', new TextEncoder().encode('data'), 0)
      assert.equal(await store.isBlockLocal('file1', 0), true)
    }),
  )

  h.it(
    'after close every operation rejects with BS_STORE_CLOSED',
    withFixture(async ({ store }) => {
      await store.writeAt('file1', pattern(10), 0)
      await store.close()
      await store.close()
      const closed = (e: unknown): boolean => isBlockStoreError(e, 'BS_STORE_CLOSED')
      const b = new Uint8Array(1)
      await assert.rejects(store.writeAt('file1', b, 0), closed)
      await assert.rejects(store.readAt('file1', b, 0), closed)
      await assert.rejects(store.flush('file1'), closed)
      await assert.rejects(store.truncate('file1', 0), closed)
      await assert.rejects(store.delete('file1'), closed)
      await assert.rejects(store.getFileSize('file1'), closed)
      await assert.rejects(store.isBlockLocal('file1', 0), closed)
      await assert.rejects(store.getBlockData('file1', 0), closed)
      await assert.rejects(store.readBlockSnapshot('file1', 0), closed)
      await assert.rejects(store.writeFromRemote('file1', 0, b), closed)
      await assert.rejects(store.evictBlock('file1', 0), closed)
      assert.equal((await store.healthcheck()).status, 'unhealthy')
    }),
  )
}
