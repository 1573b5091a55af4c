/** `ditto-blockstore/postgres`: the PostgreSQL metadata store (loads pg). */
export {
  PostgresMetadataStore,
  type PostgresMetadataStoreOptions,
} from './postgres-metadata-store.js'
export { POSTGRES_SCHEMA_VERSION } from './schema.js'
