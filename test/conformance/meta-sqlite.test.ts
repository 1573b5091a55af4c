import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeMetadataStore } from '../../src/conformance/index.js'
import { SqliteMetadataStore } from '../../src/meta/sqlite/index.js'

const paths = new WeakMap<SqliteMetadataStore, string>()

// durability "normal" keeps the 10,000-row cases fast; the default "full" is covered by
// test/meta/sqlite/sqlite-metadata-store.test.ts (SIGKILL and pragma cases).
async function openAt(path: string): Promise<SqliteMetadataStore> {
  const store = await SqliteMetadataStore.open({ path, durability: 'normal' })
  paths.set(store, path)
  return store
}

describeMetadataStore({
  name: 'SqliteMetadataStore',
  create: async () => openAt(join(await mkdtemp(join(tmpdir(), 'ditto-meta-')), 'meta.db')),
  reopen: async (store) => {
    await store.close()
    return openAt(paths.get(store)!)
  },
  openPeer: (store) => openAt(paths.get(store)!),
  destroy: (store) => rm(join(paths.get(store)!, '..'), { recursive: true, force: true }),
})
