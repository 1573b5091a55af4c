import { describeRemoteStore } from '../../src/conformance/remote-store.js'
import { MemoryRemoteStore } from '../../src/remote/memory/memory-remote-store.js'

describeRemoteStore({ name: 'MemoryRemoteStore', create: () => new MemoryRemoteStore() })
