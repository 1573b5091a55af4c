/** `ditto-blockstore/sqlite`: the SQLite metadata store (loads better-sqlite3). */

export { SQLITE_APPLICATION_ID, SQLITE_SCHEMA_VERSION } from './schema.js'
export {
  SqliteMetadataStore,
  type SqliteMetadataStoreOptions,
} from './sqlite-metadata-store.js'
