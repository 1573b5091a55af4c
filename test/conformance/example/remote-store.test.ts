import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeRemoteStore } from '../../../src/conformance/index.js'
import { DirRemoteStore } from './dir-remote-store.js'

describeRemoteStore({
  name: 'DirRemoteStore',
  create: async () => DirRemoteStore.open(await mkdtemp(join(tmpdir(), 'dir-remote-'))),
  reopen: async (store) => {
    await store.close()
    return DirRemoteStore.open(store.root)
  },
  destroy: (store) => rm(store.root, { recursive: true, force: true }),
})
