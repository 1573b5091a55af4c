import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after } from 'node:test'
import { describeBlockStore, FaultInjectingRemoteStore } from '../../../src/conformance/index.js'
import { MemoryMetadataStore, openBlockStore } from '../../../src/index.js'
import { DirRemoteStore } from './dir-remote-store.js'

const root = await mkdtemp(join(tmpdir(), 'dir-remote-'))
after(() => rm(root, { recursive: true, force: true }))
// Short health intervals, so the outages the suite injects are seen at once.
const syncer = { healthIntervalMs: 50, unhealthyIntervalMs: 50, failureThreshold: 1 }
const freshDir = (): string => join(root, randomUUID())

describeBlockStore({
  name: 'engine over DirRemoteStore',
  create: async () => {
    const remote = new FaultInjectingRemoteStore(await DirRemoteStore.open(freshDir()))
    const metadata = await MemoryMetadataStore.open()
    const store = await openBlockStore({ local: { kind: 'memory' }, remote, metadata, syncer })
    return { store, metadata, remote }
  },
  destroy: (f) => Promise.all([f.remote.close(), f.metadata.close()]),
})
