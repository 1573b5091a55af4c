/** The in-memory remote store. */
export { MemoryRemoteStore } from './memory-remote-store.js'
