import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeLocalStore } from '../../src/conformance/local-store.js'
import { FsLocalStore } from '../../src/local/fs/fs-local-store.js'
import { MemoryMetadataStore } from '../../src/meta/memory/memory-metadata-store.js'
import { SqliteMetadataStore } from '../../src/meta/sqlite/sqlite-metadata-store.js'

describeLocalStore({
  name: 'FsLocalStore + MemoryMetadataStore',
  create: async (hooks) => {
    const dir = await mkdtemp(join(tmpdir(), 'ditto-local-'))
    const metadata = await MemoryMetadataStore.open()
    return { store: await FsLocalStore.open({ dir, metadata, ...hooks }), metadata, dir }
  },
  reopen: async (f, hooks) => {
    await f.store.close()
    return { ...f, store: await FsLocalStore.open({ dir: f.dir, metadata: f.metadata, ...hooks }) }
  },
  destroy: (f) => rm(f.dir, { recursive: true, force: true }),
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
    return { store, metadata, dir }
  },
  reopen: async (f, hooks) => {
    await f.store.close()
    const dir = join(f.dir, 'blocks')
    return { ...f, store: await FsLocalStore.open({ dir, metadata: f.metadata, ...hooks }) }
  },
  // The suite has closed the store and the SQLite store (whose WAL sync handle must not be
  // left to the garbage collector).
  destroy: (f) => rm(f.dir, { recursive: true, force: true }),
})
