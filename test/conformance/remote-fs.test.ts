import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeRemoteStore } from '../../src/conformance/remote-store.js'
import { FsRemoteStore } from '../../src/remote/fs/fs-remote-store.js'

describeRemoteStore({
  name: 'FsRemoteStore',
  create: async () =>
    FsRemoteStore.open({ root: await mkdtemp(join(tmpdir(), 'ditto-remote-fs-')) }),
  // Typed by the store under test: no cast to reach its root.
  reopen: async (store) => {
    await store.close()
    return FsRemoteStore.open({ root: store.root })
  },
  destroy: (store) => rm(store.root, { recursive: true, force: true }),
})
