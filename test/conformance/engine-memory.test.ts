/** BlockStore conformance on memory local + memory remote + memory metadata. */
import { describeBlockStore, FaultInjectingRemoteStore } from '../../src/conformance/index.js'
import { MemoryMetadataStore, MemoryRemoteStore, openBlockStore } from '../../src/index.js'
import { fastSyncer } from '../support/engine-fixture.js'

describeBlockStore({
  name: 'memory local + memory remote + memory metadata',
  async create() {
    const metadata = await MemoryMetadataStore.open()
    const remote = new FaultInjectingRemoteStore(new MemoryRemoteStore())
    const store = await openBlockStore({
      local: { kind: 'memory' },
      remote,
      metadata,
      readBufferBytes: 64 * 1024 * 1024,
      syncer: fastSyncer,
    })
    return { store, metadata, remote }
  },
  async destroy(f) {
    await f.remote?.close()
    await f.metadata.close()
  },
})
