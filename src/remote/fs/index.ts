/** The directory remote store. */
export { FsRemoteStore, type FsRemoteStoreOptions } from './fs-remote-store.js'
