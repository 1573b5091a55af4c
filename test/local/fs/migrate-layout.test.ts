import assert from 'node:assert/strict'
import { mkdir, readdir, readFile, rename, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { pattern, readLocal } from '../../../src/conformance/local-store/fixture.js'
import { BlockState } from '../../../src/core/block.js'
import { BlockSize } from '../../../src/core/constants.js'
import type { MetadataStore } from '../../../src/core/metadata-store.js'
import { FsLocalStore } from '../../../src/local/fs/fs-local-store.js'
import { FsLayout, LOCAL_FORMAT_VERSION } from '../../../src/local/fs/layout.js'
import { MemoryMetadataStore } from '../../../src/meta/memory/memory-metadata-store.js'
import { tempDir } from '../helpers.js'

const LONG = `long/${'n'.repeat(300)}`
const SMALL = pattern(4096, 7)
const BIG = pattern(BlockSize + 100, 9)

/**
 * Writes three payloads with today's code, kills the store (its journal not checkpointed), then
 * rewrites the directory as format 2 left it: each payload's files in `<shard>/<sha256(id)>/`
 * beside an `id` file, rows naming those paths, FORMAT saying 2.
 */
async function legacyStore(t: TestContext) {
  const dir = await tempDir(t)
  const metadata = await MemoryMetadataStore.open()
  const opened: FsLocalStore[] = []
  t.after(async () => {
    for (const s of opened) await s.close()
    await metadata.close()
  })
  // Built by today's code, then moved into the old layout: a format 2 directory had no packs.
  const store = await FsLocalStore.open({ dir, metadata, packs: false })
  await store.writeAt('a', SMALL, 0)
  await store.writeAt(LONG, SMALL, 0)
  await store.writeAt('b', BIG, 0)
  for (const id of ['a', LONG, 'b']) await store.flush(id)
  await store.abandon()
  const layout = new FsLayout(dir)
  for (const id of ['a', LONG, 'b']) {
    const { dir: shard, prefix, idFile } = layout.place(id)
    const legacy = join(shard, FsLayout.hashId(id))
    await mkdir(legacy)
    await writeFile(join(legacy, 'id'), id)
    for (const name of await readdir(shard)) {
      const path = join(shard, name)
      if (path === idFile || !path.startsWith(prefix)) continue
      const rest = path.slice(prefix.length)
      await rename(path, join(legacy, rest))
      const idx = Number(rest.split('.')[0])
      const row = await metadata.getFileBlock(`${id}/${idx}`)
      await metadata.putFileBlock({ ...row, localPath: join(legacy, rest) })
    }
    if (idFile !== undefined) await rename(idFile, `${idFile}.gone`).then(() => {})
  }
  await writeFile(layout.formatFile, '{"format":"ditto-local","version":2}\n')
  // The power loss the journal is there for: the small blocks' files lost their bytes.
  for (const id of ['a', LONG]) {
    await truncate(join(layout.place(id).dir, FsLayout.hashId(id), '0.blk'), 0)
  }
  const open = async (m: MetadataStore = metadata): Promise<FsLocalStore> => {
    const s = await FsLocalStore.open({ dir, metadata: m })
    opened.push(s)
    return s
  }
  return { dir, metadata, layout, open }
}

async function checkMigrated(
  store: FsLocalStore,
  metadata: MetadataStore,
  layout: FsLayout,
): Promise<void> {
  const format = JSON.parse(await readFile(layout.formatFile, 'utf8')) as { version: number }
  assert.equal(format.version, LOCAL_FORMAT_VERSION)
  assert.deepEqual(await readLocal(store, 'a', 0, SMALL.length), SMALL)
  assert.deepEqual(await readLocal(store, LONG, 0, SMALL.length), SMALL)
  assert.deepEqual(await readLocal(store, 'b', 0, BIG.length), BIG)
  for (const [id, idx] of [
    ['a', 0],
    [LONG, 0],
    ['b', 0],
    ['b', 1],
  ] as const) {
    const row = await metadata.getFileBlock(`${id}/${idx}`)
    assert.equal(row.state, BlockState.Local)
    assert.equal(row.localPath, layout.blockPath(id, idx))
  }
  for (const shard of layout.shardDirs()) {
    for (const e of await readdir(shard, { withFileTypes: true })) {
      assert.ok(e.isFile(), `${e.name}: no directory is left in a shard`)
    }
  }
}

describe('fs local store: format 2 payload directories move into format 3 shards', () => {
  it('moves files and rows, then replays the journal onto the new names', async (t) => {
    const { metadata, layout, open } = await legacyStore(t)
    const store = await open()
    // b's small tail block is journaled too when write-behind synced its full first block
    // before the flush (then nothing else of b needed the files' path).
    const replayed = store.recovery?.journalReplayed ?? 0
    assert.ok(replayed === 2 || replayed === 3, `both small blocks came back (${replayed})`)
    await checkMigrated(store, metadata, layout)
    assert.equal(await readFile(layout.place(LONG).idFile ?? '', 'utf8'), LONG)
  })

  it('a migration cut after some rows moved finishes on the next open', async (t) => {
    const { metadata, layout, open } = await legacyStore(t)
    let puts = 0
    const dying = new Proxy(metadata, {
      get(target, prop) {
        const v = Reflect.get(target, prop)
        if (prop !== 'compareAndPutFileBlock') return typeof v === 'function' ? v.bind(target) : v
        return async (...args: Parameters<MetadataStore['compareAndPutFileBlock']>) => {
          if (++puts === 3) throw new Error('killed mid-migration')
          return target.compareAndPutFileBlock(...args)
        }
      },
    })
    await assert.rejects(open(dying), /killed mid-migration/)
    const store = await open()
    await checkMigrated(store, metadata, layout)
  })
})
