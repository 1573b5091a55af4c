import { describeLocalStore } from '../../src/conformance/local-store.js'
import { MemoryLocalStore } from '../../src/local/memory/memory-local-store.js'
import { MemoryMetadataStore } from '../../src/meta/memory/memory-metadata-store.js'

describeLocalStore({
  name: 'MemoryLocalStore',
  create: async (hooks) => {
    const metadata = await MemoryMetadataStore.open()
    return { store: await MemoryLocalStore.open({ metadata, ...hooks }), metadata }
  },
})
