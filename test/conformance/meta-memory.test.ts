import { describeMetadataStore } from '../../src/conformance/metadata-store.js'
import { MemoryMetadataStore } from '../../src/meta/memory/memory-metadata-store.js'

describeMetadataStore({ name: 'MemoryMetadataStore', create: () => MemoryMetadataStore.open() })
