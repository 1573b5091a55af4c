/**
 * An fs local store whose small flushed blocks keep their journal record as their only copy
 * (packs, docs/design-packs.md): no block file per small payload, and what a kill, a reopen,
 * an overwrite, a delete or a lost pack does to them.
 */
import assert from 'node:assert/strict'
import { readdir, readlink, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { pattern, readLocal } from '../../../src/conformance/local-store/fixture.js'
import { BlockState } from '../../../src/core/block.js'
import { isBlockStoreError } from '../../../src/core/errors.js'
import { RetentionPolicy } from '../../../src/core/retention.js'
import { FsLocalStore, type FsLocalStoreOptions } from '../../../src/local/fs/fs-local-store.js'
import { FsLayout } from '../../../src/local/fs/layout.js'
import { OPEN_PACKS } from '../../../src/local/fs/packs.js'
import { parsePlace } from '../../../src/local/fs/record-place.js'
import { MemoryMetadataStore } from '../../../src/meta/memory/memory-metadata-store.js'
import { tempDir } from '../helpers.js'

async function setup(t: TestContext) {
  const dir = await tempDir(t)
  const metadata = await MemoryMetadataStore.open()
  const opened: FsLocalStore[] = []
  t.after(async () => {
    for (const s of opened) await s.close().catch(() => {})
    await metadata.close()
  })
  const open = async (options: Partial<FsLocalStoreOptions> = {}): Promise<FsLocalStore> => {
    const s = await FsLocalStore.open({ ...options, dir, metadata, packs: true })
    opened.push(s)
    return s
  }
  const layout = new FsLayout(dir)
  const blockFiles = async (): Promise<string[]> => {
    const out: string[] = []
    for (const shard of layout.shardDirs()) {
      for (const name of await readdir(shard).catch(() => [])) out.push(name)
    }
    return out
  }
  const packs = async (): Promise<string[]> => readdir(layout.packsDir)
  return { dir, metadata, layout, open, blockFiles, packs }
}

describe('fs local store with packs', () => {
  it('small flushed payloads get no block file; they read back after a checkpoint and a kill', async (t) => {
    const { metadata, open, blockFiles, packs } = await setup(t)
    const store = await open()
    for (let i = 0; i < 5; i++) {
      await store.writeAt(`p${i}`, pattern(4096, i), 0)
      await store.flush(`p${i}`)
    }
    assert.deepEqual(await blockFiles(), [], 'no block file for a small flushed payload')
    const row = await metadata.getFileBlock('p3/0')
    assert.ok(parsePlace(row.localPath) !== undefined, row.localPath)
    await store.checkpoint()
    assert.equal((await packs()).length, 1)
    await store.abandon()
    const again = await open()
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(await readLocal(again, `p${i}`, 0, 4096), pattern(4096, i))
    }
    assert.deepEqual(await blockFiles(), [], 'read from the pack, still no file')
  })

  it('records of a generation not sealed before a kill come back as files', async (t) => {
    const { open, blockFiles } = await setup(t)
    const store = await open()
    await store.writeAt('a', pattern(10_000, 1), 0)
    await store.flush('a')
    await store.abandon()
    const again = await open()
    assert.deepEqual(await readLocal(again, 'a', 0, 10_000), pattern(10_000, 1))
    assert.equal((await blockFiles()).length, 1)
  })

  it('an overwrite of a packed block takes its bytes into a buffer, never a file; both survive a kill', async (t) => {
    const { open, blockFiles } = await setup(t)
    const store = await open()
    await store.writeAt('w', pattern(8192, 2), 0)
    await store.flush('w')
    await store.checkpoint()
    await store.writeAt('w', pattern(100, 9), 4000)
    assert.deepEqual(await blockFiles(), [], 'no file for the overwrite')
    await store.flush('w')
    assert.deepEqual(await blockFiles(), [], 'nor for its flush')
    const want = pattern(8192, 2)
    want.set(pattern(100, 9), 4000)
    assert.deepEqual(await readLocal(store, 'w', 0, 8192), want)
    await store.checkpoint()
    await store.abandon()
    const again = await open()
    assert.deepEqual(await readLocal(again, 'w', 0, 8192), want)
  })

  it('a pack nothing names any more is deleted at a later checkpoint', async (t) => {
    const { open, packs } = await setup(t)
    const store = await open()
    await store.writeAt('d', pattern(4096, 3), 0)
    await store.flush('d')
    await store.checkpoint()
    assert.equal((await packs()).length, 1)
    await store.delete('d')
    await store.writeAt('e', pattern(4096, 4), 0)
    await store.flush('e')
    await store.checkpoint()
    await store.checkpoint()
    const left = await packs()
    assert.equal(left.length, 1, `only the pack e's record is in: ${left}`)
    assert.deepEqual(await readLocal(store, 'e', 0, 4096), pattern(4096, 4))
  })

  it("a pack lost behind the store's back is an integrity error, never zeros", async (t) => {
    const { open, layout } = await setup(t)
    const store = await open()
    await store.writeAt('x', pattern(4096, 5), 0)
    await store.flush('x')
    await store.checkpoint()
    await store.abandon()
    await rm(layout.packsDir, { recursive: true })
    const again = await open()
    await assert.rejects(readLocal(again, 'x', 0, 4096), (err) =>
      isBlockStoreError(err, 'BS_INTEGRITY_CHECK_FAILED'),
    )
    assert.ok(again.recovery?.lostBlocks.includes('x/0'))
  })
})

describe('fs local store with packs: compaction', () => {
  it('moves the few live records of a mostly dead pack, which then goes; bytes survive a kill', async (t) => {
    const { open, packs } = await setup(t)
    const store = await open()
    const size = 128 * 1024
    for (let i = 0; i < 40; i++) {
      await store.writeAt(`c${i}`, pattern(size, i), 0)
      await store.flush(`c${i}`)
    }
    await store.checkpoint()
    const before = await packs()
    assert.equal(before.length, 1)
    for (let i = 0; i < 30; i++) await store.delete(`c${i}`)
    await store.checkpoint()
    await store.compactPacks()
    await store.checkpoint()
    await store.checkpoint()
    const after = await packs()
    assert.ok(!after.includes(before[0]!), `the sparse pack ${before[0]} went: ${after}`)
    for (let i = 30; i < 40; i++) {
      assert.deepEqual(await readLocal(store, `c${i}`, 0, size), pattern(size, i))
    }
    await store.abandon()
    const again = await open()
    for (let i = 30; i < 40; i++) {
      assert.deepEqual(await readLocal(again, `c${i}`, 0, size), pattern(size, i))
    }
  })
})

describe('fs local store with packs: what DittoFS met with the same design', () => {
  it('an empty or garbage pack no row names neither stops the open nor stays (its #1913)', async (t) => {
    const { open, layout, packs } = await setup(t)
    const first = await open()
    await first.writeAt('k', pattern(4096, 6), 0)
    await first.flush('k')
    await first.checkpoint()
    await first.close()
    await writeFile(join(layout.packsDir, '900.pack'), '')
    await writeFile(join(layout.packsDir, '901.pack'), 'not a record at all')
    const store = await open()
    assert.deepEqual(await readLocal(store, 'k', 0, 4096), pattern(4096, 6))
    await store.writeAt('m', pattern(4096, 7), 0)
    await store.flush('m')
    await store.checkpoint()
    const left = await packs()
    assert.ok(!left.includes('900.pack') && !left.includes('901.pack'), `${left}`)
  })

  it('dead records in packs count against the cap until compaction gives their space back', async (t) => {
    const { open, layout, packs } = await setup(t)
    const maxDisk = 200 * 1024
    // Pinned: no eviction, so only compaction can make room.
    const store = await open({ maxDisk, retentionPolicy: RetentionPolicy.Pin, spaceWaitMs: 10_000 })
    for (let i = 0; i < 40; i++) {
      await store.writeAt(`old${i}`, pattern(4096, i), 0)
      await store.flush(`old${i}`)
    }
    await store.checkpoint()
    const [pack] = await packs()
    assert.ok(pack !== undefined)
    // Fewer than half die: the background compaction of sparse packs leaves this one alone.
    for (let i = 0; i < 18; i++) await store.delete(`old${i}`)
    assert.ok(store.stats().diskUsed >= 40 * 4096, 'the dead records still count')
    for (let i = 0; i < 20; i++) {
      await store.writeAt(`new${i}`, pattern(4096, 100 + i), 0)
      await store.flush(`new${i}`)
    }
    await store.checkpoint()
    assert.ok(store.stats().diskUsed <= maxDisk, `${store.stats().diskUsed} <= ${maxDisk}`)
    assert.ok(!(await packs()).includes(pack), 'the wasteful pack was compacted away')
    let onDisk = 0
    for (const name of await packs()) onDisk += (await stat(join(layout.packsDir, name))).size
    assert.ok(onDisk <= maxDisk, `packs hold ${onDisk} bytes`)
    for (let i = 18; i < 40; i++) {
      assert.deepEqual(await readLocal(store, `old${i}`, 0, 4096), pattern(4096, i))
    }
    for (let i = 0; i < 20; i++) {
      assert.deepEqual(await readLocal(store, `new${i}`, 0, 4096), pattern(4096, 100 + i))
    }
  })

  it('a flush whose row commit fails after it took its record leaves the acknowledged file in place', async (t) => {
    const dir = await tempDir(t)
    const metadata = await MemoryMetadataStore.open()
    t.after(() => metadata.close())
    let failLocal = false
    const flaky = new Proxy(metadata, {
      get(target, prop) {
        const v = Reflect.get(target, prop)
        // Methods of a class with private fields must run on the real instance.
        if (prop !== 'compareAndPutFileBlock') return typeof v === 'function' ? v.bind(target) : v
        return async (...args: Parameters<MemoryMetadataStore['compareAndPutFileBlock']>) => {
          if (failLocal && args[0].state === BlockState.Local)
            throw new Error('metadata store down')
          return target.compareAndPutFileBlock(...args)
        }
      },
    })
    const open = async () => {
      const s = await FsLocalStore.open({ dir, metadata: flaky, packs: true })
      t.after(() => s.close().catch(() => {}))
      return s
    }
    const first = await open()
    await first.writeAt('a', pattern(4096, 1), 0)
    await first.flush('a')
    await first.abandon()
    // Recovered from an unsealed generation: the row names a block file, acknowledged bytes.
    const store = await open()
    const before = await metadata.getFileBlock('a/0')
    assert.equal(parsePlace(before.localPath), undefined, before.localPath)
    await store.writeAt('a', pattern(4096, 2), 0)
    failLocal = true
    await assert.rejects(store.flush('a'), /metadata store down/)
    failLocal = false
    // The record's generation is sealed; the row still names the file.
    await store.checkpoint()
    assert.equal((await metadata.getFileBlock('a/0')).localPath, before.localPath)
    await store.abandon()
    const again = await open()
    const got = await readLocal(again, 'a', 0, 4096)
    assert.ok(
      Buffer.from(got).equals(Buffer.from(pattern(4096, 1))) ||
        Buffer.from(got).equals(Buffer.from(pattern(4096, 2))),
      'the acknowledged bytes or the ones of the failed flush, never an error',
    )
    // And a retried flush in a live store names the record, whose file then goes.
    await again.writeAt('a', pattern(4096, 3), 0)
    await again.flush('a')
    assert.ok(parsePlace((await metadata.getFileBlock('a/0')).localPath) !== undefined)
    assert.deepEqual(await readLocal(again, 'a', 0, 4096), pattern(4096, 3))
  })

  it('keeps at most OPEN_PACKS packs open however many it reads', async (t) => {
    const { open, layout, packs } = await setup(t)
    const store = await open()
    const n = OPEN_PACKS + 8
    for (let i = 0; i < n; i++) {
      await store.writeAt(`p${i}`, pattern(4096, i), 0)
      await store.flush(`p${i}`)
      await store.checkpoint()
    }
    assert.equal((await packs()).length, n)
    const openPacks = async () => {
      let count = 0
      for (const fd of await readdir('/proc/self/fd')) {
        const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '')
        if (target.startsWith(layout.packsDir)) count++
      }
      return count
    }
    assert.ok((await openPacks()) <= OPEN_PACKS, 'sealing keeps no more open')
    await store.abandon()
    const again = await open()
    for (let i = 0; i < n; i++) {
      assert.deepEqual(await readLocal(again, `p${i}`, 0, 4096), pattern(4096, i))
    }
    const count = await openPacks()
    assert.ok(count > 0 && count <= OPEN_PACKS, `${count} packs open`)
  })

  it('a write over a packed block, killed before its flush, leaves the acknowledged bytes readable', async (t) => {
    const { metadata, open } = await setup(t)
    const store = await open()
    await store.writeAt('w', pattern(4096, 1), 0)
    await store.flush('w')
    await store.checkpoint()
    // The write's Dirty row is committed at once; the kill comes before any flush.
    await store.writeAt('w', pattern(100, 2), 1000)
    const dirty = await metadata.getFileBlock('w/0')
    assert.equal(dirty.state, BlockState.Dirty)
    // It still names the record, which keeps its pack: the record holds the acknowledged bytes.
    assert.ok(parsePlace(dirty.localPath) !== undefined, dirty.localPath)
    await store.abandon()
    const again = await open()
    const got = Buffer.from(await readLocal(again, 'w', 0, 4096))
    assert.ok(got.equals(Buffer.from(pattern(4096, 1))), 'the acknowledged bytes')
    assert.equal((await metadata.getFileBlock('w/0')).state, BlockState.Local)
    // Compacting and checkpointing after it never takes the bytes away.
    await again.compactPacks()
    await again.checkpoint()
    await again.checkpoint()
    assert.ok(Buffer.from(await readLocal(again, 'w', 0, 4096)).equals(got))
  })

  it('a block killed in its upload (row Syncing, naming its record) is Local again with its bytes', async (t) => {
    const { metadata, open } = await setup(t)
    const store = await open()
    await store.writeAt('u', pattern(4096, 7), 0)
    await store.flush('u')
    await store.checkpoint()
    const row = await metadata.getFileBlock('u/0')
    // What an uploader leaves when the kill comes mid-upload: a claim with an unconfirmed key.
    await metadata.putFileBlock({ ...row, state: BlockState.Syncing, blockStoreKey: 'unconfirmed' })
    await store.abandon()
    const again = await open()
    const after = await metadata.getFileBlock('u/0')
    assert.equal(after.state, BlockState.Local)
    assert.equal(after.blockStoreKey, '')
    assert.equal(after.localPath, row.localPath)
    assert.deepEqual(await readLocal(again, 'u', 0, 4096), pattern(4096, 7))
  })
})
