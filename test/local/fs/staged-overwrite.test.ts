import assert from 'node:assert/strict'
import { readdir, unlink, writeFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { FakeRemote, pattern, syncBlock } from '../../../src/conformance/local-store/fixture.js'
import { BlockState } from '../../../src/core/block.js'
import { BlockSize } from '../../../src/core/constants.js'
import type { MetadataStore } from '../../../src/core/metadata-store.js'
import { FsLocalStore } from '../../../src/local/fs/fs-local-store.js'
import { FsLayout } from '../../../src/local/fs/layout.js'
import { MemoryMetadataStore } from '../../../src/meta/memory/memory-metadata-store.js'
import { tempDir } from '../helpers.js'

const OLD = pattern(BlockSize, 4)
const NEW = pattern(BlockSize, 5)

/** A store whose payload `p` has one acknowledged block held only by the remote. */
/** The names of a payload's files after its stem (`0.blk`, `0.next`...), sorted. */
async function payloadFiles(layout: FsLayout, pid: string): Promise<string[]> {
  const { dir, prefix } = layout.place(pid)
  const stem = basename(prefix)
  return (await readdir(dir))
    .filter((n) => n.startsWith(stem))
    .map((n) => n.slice(stem.length))
    .sort()
}

async function remoteOnlyBlock(t: TestContext) {
  const dir = await tempDir(t)
  const metadata = await MemoryMetadataStore.open()
  t.after(() => metadata.close())
  const remote = new FakeRemote()
  const store = await FsLocalStore.open({ dir, metadata, ...remote.hooks })
  await store.writeAt('p', OLD, 0)
  await store.flush('p')
  await syncBlock({ store, metadata }, remote, 'p', 0)
  await store.abandon() // this process ends here; the next lines act behind its back
  const layout = new FsLayout(dir)
  await unlink(layout.blockPath('p', 0)) // evicted: the bytes are only remote
  const synced = await metadata.getFileBlock('p/0')
  await metadata.compareAndPutFileBlock({ ...synced, localPath: '' }, synced.version)
  const reopen = async (): Promise<FsLocalStore> => {
    const again = await FsLocalStore.open({ dir, metadata, ...remote.hooks })
    t.after(() => again.close())
    return again
  }
  return { dir, metadata, remote, layout, reopen }
}

type Interception = 'hang-before' | 'hang-after' | 'throw-after'

/**
 * The metadata store as a process sees it that dies at the block's Dirty commit: it never
 * answers (hang: the process is killed there), or the commit lands and the answer is lost.
 * `reached` resolves when the commit is attempted.
 */
function dyingAtDirtyCommit(metadata: MetadataStore, how: Interception) {
  let reached!: () => void
  const attempted = new Promise<void>((resolve) => (reached = resolve))
  const proxy = new Proxy(metadata, {
    get(target, prop) {
      const v = Reflect.get(target, prop)
      // Methods of a class with private fields must run on the real instance.
      if (prop !== 'compareAndPutFileBlock') return typeof v === 'function' ? v.bind(target) : v
      return async (...args: Parameters<MetadataStore['compareAndPutFileBlock']>) => {
        if (args[0].state !== BlockState.Dirty) return target.compareAndPutFileBlock(...args)
        reached()
        if (how === 'hang-before') return new Promise(() => {})
        await target.compareAndPutFileBlock(...args)
        if (how === 'hang-after') return new Promise(() => {})
        throw new Error('connection lost after commit')
      }
    },
  })
  return { proxy, attempted }
}

async function readBlock(store: FsLocalStore) {
  const out = new Uint8Array(BlockSize)
  const r = await store.readAt('p', out, 0)
  return { out: Buffer.from(out), remote: r.remoteBlocks }
}

describe('whole-block overwrite of a remote-only block', () => {
  it('keeps the old bytes when a kill follows the Dirty commit while the remote can serve them', async (t) => {
    const { metadata, remote, dir, reopen } = await remoteOnlyBlock(t)
    const { proxy, attempted } = dyingAtDirtyCommit(metadata, 'hang-after')
    const doomed = await FsLocalStore.open({ dir, metadata: proxy, ...remote.hooks })
    void doomed.writeAt('p', NEW, 0) // never settles: the process dies inside it
    await attempted
    await doomed.abandon() // the kill: its descriptors go, nothing more is written
    const again = await reopen()
    const { out, remote: fromRemote } = await readBlock(again)
    // The old bytes were loaded and made durable before the commit.
    assert.deepEqual(fromRemote, [], 'served locally')
    assert.ok(out.equals(Buffer.from(OLD)), 'old bytes')
    assert.deepEqual(again.recovery?.lostBlocks, [])
  })

  it('stages the new bytes during an outage, so a kill after the Dirty commit finds them whole', async (t) => {
    const { metadata, remote, dir, reopen, layout } = await remoteOnlyBlock(t)
    remote.objects.clear() // the remote cannot serve the old bytes
    const { proxy, attempted } = dyingAtDirtyCommit(metadata, 'hang-after')
    const doomed = await FsLocalStore.open({ dir, metadata: proxy, ...remote.hooks })
    void doomed.writeAt('p', NEW, 0)
    await attempted
    await doomed.abandon() // the kill: its descriptors go, nothing more is written
    const again = await reopen()
    assert.equal(again.recovery?.stagedPromoted, 1)
    assert.deepEqual(again.recovery?.lostBlocks, [])
    const row = await metadata.getFileBlock('p/0')
    assert.equal(row.state, BlockState.Local)
    assert.equal(row.localPath, layout.blockPath('p', 0))
    const { out, remote: fromRemote } = await readBlock(again)
    assert.deepEqual(fromRemote, [])
    assert.ok(out.equals(Buffer.from(NEW)), 'the whole new block, never a hole')
  })

  it('discards staged bytes whose Dirty commit never happened: the block stays the old remote one', async (t) => {
    const { metadata, remote, dir, reopen, layout } = await remoteOnlyBlock(t)
    remote.objects.clear()
    const { proxy, attempted } = dyingAtDirtyCommit(metadata, 'hang-before')
    const doomed = await FsLocalStore.open({ dir, metadata: proxy, ...remote.hooks })
    void doomed.writeAt('p', NEW, 0)
    await attempted
    await doomed.abandon() // the kill: its descriptors go, nothing more is written
    const again = await reopen()
    assert.equal(again.recovery?.stagedPromoted, 0)
    assert.equal(again.recovery?.orphansDeleted, 1, 'the staged file')
    assert.deepEqual(await payloadFiles(layout, 'p'), [])
    const row = await metadata.getFileBlock('p/0')
    assert.equal(row.state, BlockState.Remote, 'still references the old object')
    assert.notEqual(row.blockStoreKey, '')
  })

  it('completes the write when the Dirty commit landed but its answer was lost', async (t) => {
    const { metadata, remote, dir, reopen, layout } = await remoteOnlyBlock(t)
    remote.objects.clear()
    const { proxy } = dyingAtDirtyCommit(metadata, 'throw-after')
    const store = await FsLocalStore.open({ dir, metadata: proxy, ...remote.hooks })
    await store.writeAt('p', NEW, 0)
    await store.flush('p')
    await store.close()
    assert.deepEqual(await payloadFiles(layout, 'p'), ['0.blk'])
    const { out } = await readBlock(await reopen())
    assert.ok(out.equals(Buffer.from(NEW)))
  })

  it('removes the staged file when the Dirty commit is refused', async (t) => {
    const { metadata, remote, dir, layout } = await remoteOnlyBlock(t)
    remote.objects.clear()
    const store = await FsLocalStore.open({ dir, metadata, ...remote.hooks })
    t.after(() => store.close())
    const refusing = new Proxy(metadata, {
      get(target, prop) {
        const v = Reflect.get(target, prop)
        if (prop !== 'compareAndPutFileBlock') return typeof v === 'function' ? v.bind(target) : v
        return async () => {
          throw new Error('metadata refused the commit')
        }
      },
    })
    const refused = await FsLocalStore.open({ dir, metadata: refusing, ...remote.hooks })
    t.after(() => refused.close().catch(() => {}))
    await assert.rejects(refused.writeAt('p', NEW, 0), /refused/)
    assert.deepEqual(await payloadFiles(layout, 'p'), [])
    assert.equal(refused.stats().diskUsed, 0, 'the reservation was released')
    assert.equal((await metadata.getFileBlock('p/0')).state, BlockState.Remote)
  })
})

describe('whole-block replacement under a kill', () => {
  for (const how of ['hang-before', 'hang-after'] as const) {
    it(`replaceBlock of a local block leaves ${how === 'hang-before' ? 'the old' : 'the new'} bytes when the kill lands ${how === 'hang-before' ? 'before' : 'after'} its Dirty commit`, async (t) => {
      const dir = await tempDir(t)
      const metadata = await MemoryMetadataStore.open()
      const store = await FsLocalStore.open({ dir, metadata })
      await store.writeAt('p', OLD, 0)
      await store.flush('p')
      await store.abandon()
      const { proxy, attempted } = dyingAtDirtyCommit(metadata, how)
      const doomed = await FsLocalStore.open({ dir, metadata: proxy })
      void doomed.replaceBlock('p', 0, NEW.subarray(0, 1000))
      await attempted
      await doomed.abandon()
      const again = await FsLocalStore.open({ dir, metadata })
      t.after(async () => {
        await again.close()
        await metadata.close()
      })
      const want = how === 'hang-before' ? OLD : NEW.subarray(0, 1000)
      const out = new Uint8Array(want.length)
      const r = await again.readAt('p', out, 0)
      assert.deepEqual(r.remoteBlocks, [])
      assert.ok(Buffer.from(out).equals(Buffer.from(want)))
      assert.equal((await metadata.getFileBlock('p/0')).dataSize, want.length)
      assert.equal(again.recovery?.stagedPromoted, how === 'hang-before' ? 0 : 1)
    })
  }

  it('a file left behind by a kill after shareRemoteBlock committed is deleted, never served as the shared block', async (t) => {
    const { metadata, remote, dir, reopen, layout } = await remoteOnlyBlock(t)
    const store = await reopen()
    await store.writeAt('q', NEW, 0)
    await store.flush('q')
    const shared = await metadata.getFileBlock('p/0')
    await store.shareRemoteBlock('q', 0, shared)
    await store.close()
    // As if the kill came between the commit and the removal of q's old bytes.
    await writeFile(layout.blockPath('q', 0), NEW)
    const again = await FsLocalStore.open({ dir, metadata, ...remote.hooks })
    t.after(() => again.close())
    assert.equal(again.recovery?.orphansDeleted, 1)
    const r = await again.readAt('q', new Uint8Array(10), 0)
    assert.deepEqual(r.remoteBlocks, [0], 'read from the shared object')
  })

  it('a payload created by truncate has no record until its flush, and close stores it', async (t) => {
    const dir = await tempDir(t)
    const metadata = await MemoryMetadataStore.open()
    t.after(() => metadata.close())
    const store = await FsLocalStore.open({ dir, metadata })
    await store.truncate('fresh', 3 * BlockSize)
    await store.writeAt('fresh', pattern(100), 0)
    assert.equal(await metadata.getPayload('fresh'), undefined, 'a kill now leaves no payload')
    await store.close()
    assert.equal((await metadata.getPayload('fresh'))?.size, 3 * BlockSize)
  })
})

describe('payload records on close', () => {
  it('close stores the size a write reached even when a later truncate failed part-way and left no dirty block', async (t) => {
    const { metadata, remote, reopen } = await remoteOnlyBlock(t)
    const store = await reopen()
    await store.writeAt('p', pattern(100), 2 * BlockSize + 10)
    remote.objects.clear() // block 0 cannot be loaded: cutting it fails
    // Drops block 2 (the only dirty block), then fails on the boundary block 0.
    await assert.rejects(store.truncate('p', 100))
    assert.equal(
      await store.getFileSize('p'),
      2 * BlockSize + 110,
      'a failed truncate keeps the size',
    )
    await store.close()
    assert.equal((await metadata.getPayload('p'))?.size, 2 * BlockSize + 110)
  })
})
