import assert from 'node:assert/strict'
import { open as openFile, readdir, readFile, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { pattern, readLocal } from '../../../src/conformance/local-store/fixture.js'
import { BlockState } from '../../../src/core/block.js'
import { isBlockStoreError } from '../../../src/core/errors.js'
import { JOURNAL_MAX_BLOCK } from '../../../src/local/common/ops/journal-flush.js'
import { FsLocalStore } from '../../../src/local/fs/fs-local-store.js'
import { FsLayout, LOCAL_FORMAT_VERSION } from '../../../src/local/fs/layout.js'
import { MemoryMetadataStore } from '../../../src/meta/memory/memory-metadata-store.js'
import { tempDir } from '../helpers.js'

/**
 * A store whose `kill` abandons it (nothing flushed, files released) and then takes the block
 * files' unsynced bytes away, as a power loss may: every block file is cut to zero, so only
 * what the journal made durable can bring the bytes back.
 */
async function setup(t: TestContext, packs?: boolean) {
  const dir = await tempDir(t)
  const metadata = await MemoryMetadataStore.open()
  const opened: FsLocalStore[] = []
  t.after(async () => {
    for (const s of opened) await s.close()
    await metadata.close()
  })
  const open = async (): Promise<FsLocalStore> => {
    const s = await FsLocalStore.open({ dir, metadata, packs })
    opened.push(s)
    return s
  }
  const layout = new FsLayout(dir)
  const loseUnsyncedFiles = async (pids: string[], idx = 0): Promise<void> => {
    for (const pid of pids) await truncate(layout.blockPath(pid, idx), 0).catch(() => {})
  }
  return { dir, metadata, open, layout, loseUnsyncedFiles }
}

describe('flush journal (fs local store)', () => {
  it('a journaled flush survives a kill that loses its unsynced block file', async (t) => {
    const { open, loseUnsyncedFiles } = await setup(t)
    const store = await open()
    await store.writeAt('p', pattern(4096, 3), 0)
    await store.flush('p')
    assert.equal(store.journalStats()?.batches, 1)
    await store.abandon()
    await loseUnsyncedFiles(['p'])
    const again = await open()
    assert.equal(again.recovery?.journalReplayed, 1)
    assert.deepEqual(await readLocal(again, 'p', 0, 4096), pattern(4096, 3))
    assert.equal(await again.getFileSize('p'), 4096)
  })

  it('concurrent flushes share the journal fdatasync (group commit)', async (t) => {
    const { open, loseUnsyncedFiles } = await setup(t)
    const store = await open()
    const ids = Array.from({ length: 32 }, (_, i) => `g${i}`)
    await Promise.all(ids.map((id, i) => store.writeAt(id, pattern(4096, i), 0)))
    await Promise.all(ids.map((id) => store.flush(id)))
    const stats = store.journalStats()
    assert.equal(stats?.appends, 32)
    assert.ok((stats?.batches ?? 99) < 16, `batches ${stats?.batches} for 32 flushes`)
    await store.abandon()
    await loseUnsyncedFiles(ids)
    const again = await open()
    assert.equal(again.recovery?.journalReplayed, 32)
    for (const [i, id] of ids.entries()) {
      assert.deepEqual(await readLocal(again, id, 0, 4096), pattern(4096, i))
    }
  })

  it('the last record of a block wins, and a checkpoint retires them all', async (t) => {
    const { open, dir, loseUnsyncedFiles } = await setup(t)
    const store = await open()
    await store.writeAt('p', pattern(5000, 1), 0)
    await store.flush('p')
    await store.writeAt('p', pattern(3000, 2), 1000)
    await store.flush('p')
    const expected = pattern(5000, 1)
    expected.set(pattern(3000, 2), 1000)
    await store.abandon()
    await loseUnsyncedFiles(['p'])
    const again = await open()
    assert.deepEqual(await readLocal(again, 'p', 0, 5000), expected)
    await again.writeAt('q', pattern(100), 0)
    await again.flush('q')
    await again.checkpoint()
    // One generation left, holding nothing to replay (its file may be a recycled one).
    const logs = (await readdir(join(dir, 'journal'))).filter((n) => n.endsWith('.log'))
    assert.equal(logs.length, 1)
    await again.abandon()
    const third = await open()
    assert.equal(third.recovery?.journalReplayed, 0)
    assert.deepEqual(await readLocal(third, 'q', 0, 100), pattern(100))
  })

  it('a truncate after a journaled flush is not undone by the replay', async (t) => {
    const { open } = await setup(t)
    const store = await open()
    await store.writeAt('p', pattern(8000), 0)
    await store.flush('p')
    // Recorded at once (the payload has a record); the record of 8000 bytes must not return.
    await store.truncate('p', 100)
    await store.abandon()
    const again = await open()
    assert.equal(again.recovery?.journalReplayed, 0)
    assert.equal(await again.getFileSize('p'), 100)
    assert.deepEqual(await readLocal(again, 'p', 0, 100), pattern(100))
  })

  it('a payload deleted and created again never gets the old bytes back', async (t) => {
    const { open } = await setup(t)
    const store = await open()
    await store.writeAt('p', pattern(4096, 1), 0)
    await store.flush('p')
    await store.delete('p')
    await store.writeAt('p', pattern(2048, 9), 0)
    await store.flush('p')
    await store.abandon()
    const again = await open()
    assert.equal(await again.getFileSize('p'), 2048)
    assert.deepEqual(await readLocal(again, 'p', 0, 2048), pattern(2048, 9))
  })

  it('blocks past the journal limit go through the files, fsynced as before', async (t) => {
    const { open } = await setup(t)
    const store = await open()
    await store.writeAt('big', pattern(JOURNAL_MAX_BLOCK + 1), 0)
    await store.flush('big')
    assert.equal(store.journalStats()?.appends, 0)
    await store.abandon()
    const again = await open()
    assert.deepEqual(
      await readLocal(again, 'big', 0, JOURNAL_MAX_BLOCK + 1),
      pattern(JOURNAL_MAX_BLOCK + 1),
    )
  })

  it('recycles retired generations: stale records in a reused file are never replayed', async (t) => {
    const { open, loseUnsyncedFiles } = await setup(t)
    const store = await open()
    // Generation 1 fills with records of 'old', then is retired into the spare file.
    for (let i = 0; i < 20; i++) {
      await store.writeAt('old', pattern(4096, i), 0)
      await store.flush('old')
    }
    await store.checkpoint()
    // Then 'old' moves on through the files: its stale records must never come back.
    await store.writeAt('old', pattern(JOURNAL_MAX_BLOCK + 1, 99), 0)
    await store.flush('old')
    // Generation 2 is new; after the next checkpoint, generation 3 reuses generation 1's file.
    await store.writeAt('x', pattern(10), 0)
    await store.flush('x')
    await store.checkpoint()
    await store.writeAt('new', pattern(4096, 77), 0)
    await store.flush('new')
    await store.abandon()
    await loseUnsyncedFiles(['new'])
    const again = await open()
    assert.equal(again.recovery?.journalReplayed, 1)
    assert.deepEqual(
      await readLocal(again, 'old', 0, JOURNAL_MAX_BLOCK + 1),
      pattern(JOURNAL_MAX_BLOCK + 1, 99),
    )
    assert.deepEqual(await readLocal(again, 'new', 0, 4096), pattern(4096, 77))
  })

  it('a clean close and reopen never reuse a generation whose records the spare file holds', async (t) => {
    const { open } = await setup(t)
    const first = await open()
    for (let i = 0; i < 20; i++) {
      await first.writeAt('old', pattern(4096, i), 0)
      await first.flush('old')
    }
    // A clean close retires the last generation into the spare file and leaves no other.
    await first.close()
    const second = await open()
    await second.writeAt('old', pattern(JOURNAL_MAX_BLOCK + 1, 99), 0)
    await second.flush('old')
    // A record of the same length as the stale ones: it ends exactly where the next stale
    // record starts, so only the generation tells them apart.
    await second.writeAt('new', pattern(4096, 50), 0)
    await second.flush('new')
    await second.abandon()
    const third = await open()
    assert.deepEqual(
      await readLocal(third, 'old', 0, JOURNAL_MAX_BLOCK + 1),
      pattern(JOURNAL_MAX_BLOCK + 1, 99),
    )
    assert.deepEqual(await readLocal(third, 'new', 0, 4096), pattern(4096, 50))
  })

  it('a torn or foreign tail is ignored; records before it are replayed', async (t) => {
    const { open, dir, loseUnsyncedFiles } = await setup(t)
    const store = await open()
    await store.writeAt('p', pattern(4096, 5), 0)
    await store.flush('p')
    await store.abandon()
    const [log] = (await readdir(join(dir, 'journal'))).filter((n) => n.endsWith('.log'))
    assert.ok(log !== undefined)
    const path = join(dir, 'journal', log)
    const file = await readFile(path)
    const length = file.readUInt32LE(4)
    // Half a copy of the record right after it: what a kill in the middle of an append leaves.
    const fh = await openFile(path, 'r+')
    await fh.write(file.subarray(0, length >> 1), 0, length >> 1, length)
    await fh.close()
    await loseUnsyncedFiles(['p'])
    const again = await open()
    assert.equal(again.recovery?.journalReplayed, 1)
    assert.deepEqual(await readLocal(again, 'p', 0, 4096), pattern(4096, 5))
  })

  for (const packs of [false, true]) {
    it(`a record whose row is remote is not replayed as a flush (${packs ? 'packs' : 'block files'})`, async (t) => {
      const { open, metadata } = await setup(t, packs)
      const store = await open()
      await store.writeAt('remote', pattern(4096, 2), 0)
      await store.flush('remote')
      await store.abandon()
      const row = await metadata.getFileBlock('remote/0')
      await metadata.putFileBlock({ ...row, state: BlockState.Remote, blockStoreKey: 'k' })
      const again = await open()
      const after = await metadata.getFileBlock('remote/0')
      assert.equal(after.state, BlockState.Remote, 'not turned back into a local flush')
      assert.equal(after.blockStoreKey, 'k')
      // A block file is left alone; a record kept as the copy stays the cached copy.
      if (!packs) assert.equal(again.recovery?.journalReplayed, 0)
      else assert.deepEqual(await readLocal(again, 'remote', 0, 4096), pattern(4096, 2))
    })
  }

  it('a deleted payload leaves no record behind to bring it back', async (t) => {
    const { open, metadata } = await setup(t)
    const store = await open()
    await store.writeAt('gone', pattern(4096, 1), 0)
    await store.flush('gone')
    await store.delete('gone')
    await store.abandon()
    const again = await open()
    assert.equal(again.recovery?.journalReplayed, 0)
    assert.equal(again.recovery?.journalPayloadsRestored, 0)
    assert.equal(await again.getFileSize('gone'), undefined)
    assert.deepEqual(await metadata.listFileBlocks('gone'), [])
  })

  it('a kill between the payload record and the rows of a flush leaves no hole', async (t) => {
    const { open, metadata, loseUnsyncedFiles } = await setup(t)
    const store = await open()
    await store.writeAt('p', pattern(4096, 4), 0)
    await store.flush('p')
    await store.abandon()
    // What the kill leaves when the record's commit landed and the row's did not.
    await metadata.deleteFileBlock('p/0')
    await loseUnsyncedFiles(['p'])
    const again = await open()
    assert.equal(again.recovery?.journalReplayed, 1)
    assert.equal((await metadata.getFileBlock('p/0')).state, BlockState.Local)
    assert.deepEqual(await readLocal(again, 'p', 0, 4096), pattern(4096, 4))
  })

  it('upgrades a version 1 directory and refuses a newer one', async (t) => {
    const dir = await tempDir(t)
    const metadata = await MemoryMetadataStore.open()
    t.after(() => metadata.close())
    const layout = new FsLayout(dir)
    await layout.prepare()
    await writeFile(layout.formatFile, '{"format":"ditto-local","version":1}\n')
    const store = await FsLocalStore.open({ dir, metadata })
    await store.close()
    const format = JSON.parse(await readFile(layout.formatFile, 'utf8')) as { version: number }
    assert.equal(format.version, LOCAL_FORMAT_VERSION)
    await writeFile(
      layout.formatFile,
      JSON.stringify({ format: 'ditto-local', version: LOCAL_FORMAT_VERSION + 1 }),
    )
    await assert.rejects(FsLocalStore.open({ dir, metadata }), (e) =>
      isBlockStoreError(e, 'BS_UNSUPPORTED_FORMAT'),
    )
  })
})
