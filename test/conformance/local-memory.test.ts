import { describeLocalStore } from '../../src/conformance/index.js'
import { MemoryLocalStore, MemoryMetadataStore } from '../../src/index.js'

describeLocalStore({
  name: 'MemoryLocalStore',
  create: async (hooks) => {
    const metadata = await MemoryMetadataStore.open()
    return { store: await MemoryLocalStore.open({ metadata, ...hooks }), metadata }
  },
})
