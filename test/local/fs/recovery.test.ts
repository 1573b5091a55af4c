import assert from 'node:assert/strict'
import { appendFile, mkdir, readdir, stat, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { pattern, readLocal, row, syncBlock } from '../../../src/conformance/local-store/fixture.js'
import { BlockState, newFileBlock } from '../../../src/core/block.js'
import { BlockSize } from '../../../src/core/constants.js'
import { isBlockStoreError } from '../../../src/core/errors.js'
import type { MetadataStore } from '../../../src/core/metadata-store.js'
import { JOURNAL_MAX_BLOCK } from '../../../src/local/common/ops/journal-flush.js'
import { FsLocalStore } from '../../../src/local/fs/fs-local-store.js'
import { FsLayout } from '../../../src/local/fs/layout.js'
import { MemoryMetadataStore } from '../../../src/meta/memory/memory-metadata-store.js'
import { hashBlock } from '../../../src/platform/hash-block.js'
import { tempDir, walkBlocks } from '../helpers.js'

/** Opens a store; `reopen` abandons it first (no close, as a kill would) and opens it anew. */
/**
 * `packs` false: the store keeps every block in a file (what some of these tests damage or
 * remove behind its back); by default small flushed blocks live in packs.
 */
async function setup(t: TestContext, packs?: boolean) {
  const dir = await tempDir(t)
  const metadata = await MemoryMetadataStore.open()
  const reopened: FsLocalStore[] = []
  // Stores first: closing one flushes what it still holds into the metadata store.
  t.after(async () => {
    for (const again of reopened) await again.close()
    await metadata.close()
  })
  const store = await FsLocalStore.open({ dir, metadata, packs })
  const reopen = async (m: MetadataStore = metadata, d = dir): Promise<FsLocalStore> => {
    // The first store's process is gone by now: its descriptors with it, nothing written.
    await store.abandon()
    const again = await FsLocalStore.open({ dir: d, metadata: m, packs })
    reopened.push(again)
    return again
  }
  return { dir, metadata, store, reopen, layout: new FsLayout(dir) }
}

describe('FsLocalStore crash recovery', () => {
  it('deletes a block file whose row does not exist', async (t) => {
    const { store, metadata, reopen, dir } = await setup(t)
    await store.writeAt('p', pattern(5000), 0)
    await store.releaseMemory('p')
    await metadata.deleteFileBlock('p/0')
    const again = await reopen()
    assert.equal(again.recovery?.orphansDeleted, 1)
    assert.deepEqual(await walkBlocks(dir), { bytes: 0, files: 0 })
    assert.equal(again.stats().diskUsed, 0)
  })

  it('turns a Dirty row whose file exists into Local with the bytes on disk', async (t) => {
    const { store, metadata, reopen } = await setup(t)
    // The payload exists (flushed once, empty); the write after that was never flushed.
    await store.truncate('p', 0)
    await store.flush('p')
    await store.writeAt('p', pattern(5000), 0)
    await store.releaseMemory('p')
    const again = await reopen()
    assert.equal(again.recovery?.dirtyPromoted, 1)
    const r = await metadata.getFileBlock('p/0')
    assert.equal(r.state, BlockState.Local)
    assert.equal(r.dataSize, 5000)
    assert.deepEqual(await readLocal(again, 'p', 0, 5000), pattern(5000))
    assert.equal(again.stats().diskUsed, 5000)
  })

  it('purges a payload that was never flushed: it has no acknowledged state', async (t) => {
    const { store, metadata, reopen } = await setup(t)
    await store.writeAt('never', pattern(5000), 0)
    await store.releaseMemory('never')
    const again = await reopen()
    assert.equal(again.recovery?.orphansDeleted, 1)
    assert.equal(await again.getFileSize('never'), undefined)
    assert.deepEqual(await metadata.listFileBlocks('never'), [])
    assert.equal(again.stats().diskUsed, 0)
  })

  it('abandon writes nothing a close would: buffered bytes are lost, the store refuses calls', async (t) => {
    const { store, metadata, reopen } = await setup(t)
    await store.writeAt('kept', pattern(3000, 2), 0)
    await store.flush('kept')
    await store.writeAt('buffered', pattern(3000, 3), 0) // in memory only: a kill loses it
    await store.abandon()
    await assert.rejects(store.writeAt('kept', pattern(10), 0), { code: 'BS_STORE_CLOSED' })
    assert.equal(await metadata.getPayload('buffered'), undefined)
    const again = await reopen()
    assert.equal(await again.getFileSize('buffered'), undefined)
    assert.equal(await again.getFileSize('kept'), 3000)
    await store.close() // after abandon, close has nothing left to do
  })

  it('purges the leftovers of an interrupted delete, so a re-created payload reads zeros', async (t) => {
    const { store, metadata, reopen } = await setup(t)
    await store.writeAt('reused', pattern(3 * 4096, 7), 0)
    await store.flush('reused')
    // Interrupted delete: the payload's journal records retired (a delete does that first),
    // then the record (the commit point) gone, rows and files left.
    await store.checkpoint()
    await metadata.deletePayload('reused')
    const again = await reopen()
    assert.equal(await again.getFileSize('reused'), undefined, 'the payload is gone')
    assert.deepEqual(await metadata.listFileBlocks('reused'), [])
    await again.truncate('reused', 3 * 4096)
    const out = new Uint8Array(3 * 4096)
    assert.equal((await again.readAt('reused', out, 0)).length, 3 * 4096)
    assert.ok(
      out.every((b) => b === 0),
      'no byte of the deleted payload comes back',
    )
  })

  it('purges a stale remote-only row when a payload without a record is created', async (t) => {
    const { store, metadata } = await setup(t)
    // A row left by an interrupted delete whose block was only remote (no local file).
    await metadata.putFileBlock({
      ...newFileBlock('ghost/0', ''),
      state: BlockState.Remote,
      hash: hashBlock(pattern(4096, 9)),
      blockStoreKey: 'blocks/aa/stale',
      dataSize: 4096,
    })
    await store.writeAt('ghost', pattern(10, 10), BlockSize)
    const out = new Uint8Array(4096)
    const r = await store.readAt('ghost', out, 0)
    assert.deepEqual(r.remoteBlocks, [], 'the stale row is gone, block 0 is a hole')
    assert.ok(out.every((b) => b === 0))
  })

  it('reverts an interrupted upload from Syncing to Local', async (t) => {
    const { store, metadata, reopen } = await setup(t)
    await store.writeAt('p', pattern(100), 0)
    await store.flush('p')
    const local = await metadata.getFileBlock('p/0')
    await metadata.compareAndPutFileBlock({ ...local, state: BlockState.Syncing }, local.version)
    const again = await reopen()
    assert.equal(again.recovery?.revertedSyncing, 1)
    assert.equal((await metadata.getFileBlock('p/0')).state, BlockState.Local)
  })

  it('raises a recorded size that a kept block row reaches past, so the block never resurfaces where zeros were read', async (t) => {
    const { store, metadata, reopen, layout } = await setup(t)
    await store.writeAt('p', pattern(100), 0)
    await store.flush('p')
    // A later, never flushed write of a whole block 2: its row is committed, uploaded and the
    // local copy evicted, while the record still says 100 bytes (a kill before the flush).
    await store.writeAt('p', pattern(BlockSize, 3), 2 * BlockSize)
    await store.releaseMemory('p')
    await syncBlock({ store, metadata }, undefined, 'p', 2)
    await unlink(layout.blockPath('p', 2))
    assert.equal((await metadata.getPayload('p'))?.size, 100)
    const again = await reopen()
    assert.equal(again.recovery?.sizesExtended, 1)
    assert.equal(await again.getFileSize('p'), 3 * BlockSize)
    assert.equal((await metadata.getPayload('p'))?.size, 3 * BlockSize, 'recorded at once')
    const r = await again.readAt('p', new Uint8Array(4096), 2 * BlockSize)
    assert.deepEqual(r.remoteBlocks, [2], 'block 2 keeps its bytes (in the remote store)')
  })

  it('covers remote rows past the record of a payload with no file left in the store', async (t) => {
    const { store, metadata, reopen, layout } = await setup(t, false)
    await store.writeAt('p', pattern(100), 0)
    await store.flush('p')
    await store.writeAt('p', pattern(BlockSize, 3), 2 * BlockSize)
    await store.releaseMemory('p')
    // Every block uploaded and evicted: no name of the payload is left in any shard.
    for (const idx of [0, 2]) {
      await syncBlock({ store, metadata }, undefined, 'p', idx)
      await unlink(layout.blockPath('p', idx))
    }
    assert.equal((await metadata.getPayload('p'))?.size, 100)
    const again = await reopen()
    assert.equal(again.recovery?.sizesExtended, 1)
    assert.equal((await metadata.getPayload('p'))?.size, 3 * BlockSize, 'recorded at once')
    assert.equal(await again.getFileSize('p'), 3 * BlockSize)
  })

  it('drops a cached remote copy whose size does not match its row', async (t) => {
    const { store, metadata, reopen, layout } = await setup(t, false)
    await store.writeAt('p', pattern(100), 0)
    await store.flush('p')
    await syncBlock({ store, metadata }, undefined, 'p', 0)
    await appendFile(layout.blockPath('p', 0), 'torn')
    const again = await reopen()
    assert.equal(again.recovery?.orphansDeleted, 1)
    assert.equal((await metadata.getFileBlock('p/0')).localPath, '')
    const r = await again.readAt('p', new Uint8Array(100), 0)
    assert.deepEqual(r.remoteBlocks, [0])
  })

  it('removes a Dirty row whose bytes never reached disk; the block reads as a hole', async (t) => {
    const { store, metadata, reopen } = await setup(t)
    await store.writeAt('p', pattern(100), 0)
    await store.flush('p')
    await store.writeAt('p', pattern(100), 2 * 8388608)
    // A new block in a buffer has no row yet; a Dirty row left by a kill after an earlier
    // spill whose file then vanished is what recovery must remove.
    assert.deepEqual(
      (await metadata.listFileBlocks('p')).map((r) => r.id),
      ['p/0'],
    )
    await metadata.putFileBlock({ ...newFileBlock('p/3', ''), dataSize: 100 })
    const again = await reopen()
    assert.equal(again.recovery?.staleRowsFixed, 1)
    assert.deepEqual(
      (await metadata.listFileBlocks('p')).map((r) => r.id),
      ['p/0'],
    )
    assert.equal(await again.getFileSize('p'), 100)
  })

  it("removes the files of a stem that names no payload, and a long ID's files without their ID file", async (t) => {
    const { reopen, layout } = await setup(t)
    const shard = join(layout.blocksDir, 'ab')
    const long = 'L'.repeat(200)
    const { prefix } = layout.place(long)
    await writeFile(`${prefix}0.blk`, 'no id file beside it')
    await writeFile(join(shard, 'not base64!.0.blk'), 'x')
    await writeFile(join(shard, `${Buffer.from('/abs').toString('base64url')}.0.blk`), 'x')
    // A valid ID in the wrong shard: not where this code would have put it.
    const wrong = ['a', 'b', 'c', 'd'].find((id) => !layout.shardDir(id).endsWith('/ab')) ?? 'a'
    await writeFile(join(shard, `${FsLayout.stemOf(wrong)}.0.blk`), 'x')
    await writeFile(join(shard, 'nodot'), 'x')
    const again = await reopen()
    assert.equal(again.recovery?.orphansDeleted, 4)
    assert.deepEqual(await readdir(shard), [])
    assert.deepEqual(await readdir(layout.place(long).dir), [])
  })

  it('removes a payload directory of format 2 without a trustworthy id file', async (t) => {
    const { reopen, layout } = await setup(t)
    const bogus = join(layout.blocksDir, 'ab', 'ab'.repeat(32))
    await mkdir(bogus, { recursive: true })
    await writeFile(join(bogus, '0.blk'), 'x')
    await writeFile(join(bogus, 'id'), 'not-the-hashed-id')
    const again = await reopen()
    assert.equal(again.recovery?.orphansDeleted, 1)
    assert.deepEqual(await readdir(join(layout.blocksDir, 'ab')), [])
  })

  it('reports a Local row whose file vanished as lost and never reads it as zeros', async (t) => {
    const { store, reopen, layout } = await setup(t)
    // Past the flush journal's limit, so the file is the only durable copy.
    await store.writeAt('p', pattern(JOURNAL_MAX_BLOCK + 100), 0)
    await store.flush('p')
    await unlink(layout.blockPath('p', 0))
    const again = await reopen()
    assert.deepEqual(again.recovery?.lostBlocks, ['p/0'])
    await assert.rejects(again.readAt('p', new Uint8Array(10), 0), (e) =>
      isBlockStoreError(e, 'BS_INTEGRITY_CHECK_FAILED'),
    )
  })

  it('with an empty directory, sizes come from the metadata store and synced blocks are remote', async (t) => {
    const { store, metadata, reopen } = await setup(t)
    await store.writeAt('p', pattern(3000), 0)
    await store.flush('p')
    await syncBlock({ store, metadata }, undefined, 'p', 0)
    const fresh = await reopen(metadata, await tempDir(t))
    assert.equal(await fresh.getFileSize('p'), 3000)
    const r = await fresh.readAt('p', new Uint8Array(3000), 0)
    assert.deepEqual([r.exists, r.length, r.remoteBlocks], [true, 3000, [0]])
    assert.equal((await row({ store: fresh, metadata }, 'p', 0)).state, BlockState.Remote)
  })

  it('rebuilds disk accounting from the files', async (t) => {
    const { store, reopen, dir } = await setup(t)
    await store.writeAt('a', pattern(9_000_000), 0)
    await store.writeAt('b', pattern(1234), 0)
    await store.flush('a')
    await store.flush('b')
    const again = await reopen()
    const walked = await walkBlocks(dir)
    assert.equal(again.stats().diskUsed, walked.bytes)
    assert.equal(again.recovery?.bytes, walked.bytes)
    assert.equal(again.recovery?.files, 3)
    assert.equal((await stat(dir)).isDirectory(), true)
  })
})
