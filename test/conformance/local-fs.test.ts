import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeLocalStore } from '../../src/conformance/local-store.js'
import { FsLocalStore } from '../../src/local/fs/fs-local-store.js'
import { MemoryMetadataStore } from '../../src/meta/memory/memory-metadata-store.js'
import { SqliteMetadataStore } from '../../src/meta/sqlite/sqlite-metadata-store.js'

const dirs = new Map<object, string>()

describeLocalStore({
  name: 'FsLocalStore + MemoryMetadataStore',
  create: async (hooks) => {
    const dir = await mkdtemp(join(tmpdir(), 'ditto-local-'))
    const metadata = await MemoryMetadataStore.open()
    const store = await FsLocalStore.open({ dir, metadata, ...hooks })
    const f = { store, metadata }
    dirs.set(f, dir)
    return f
  },
  destroy: async (f) => {
    await rm(dirs.get(f) ?? '/nonexistent', { recursive: true, force: true })
    dirs.delete(f)
  },
})

describeLocalStore({
  name: 'FsLocalStore + SqliteMetadataStore',
  create: async (hooks) => {
    const dir = await mkdtemp(join(tmpdir(), 'ditto-local-sqlite-'))
    const metadata = await SqliteMetadataStore.open({
      path: join(dir, 'meta.db'),
      durability: 'normal',
    })
    const store = await FsLocalStore.open({ dir: join(dir, 'blocks'), metadata, ...hooks })
    const f = { store, metadata }
    dirs.set(f, dir)
    return f
  },
  destroy: async (f) => {
    // Not the store's to close: left open, its WAL sync handle would go to the garbage collector.
    await (f.metadata as SqliteMetadataStore).close().catch(() => {})
    await rm(dirs.get(f) ?? '/nonexistent', { recursive: true, force: true })
    dirs.delete(f)
  },
})
