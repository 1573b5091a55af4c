import { it } from 'node:test'
import { describeMetadataStore } from '../../src/conformance/metadata-store.js'
import { PostgresMetadataStore } from '../../src/meta/postgres/index.js'
import { dropSchema, PG_URL, pgSkipReason, randomSchema } from '../meta/postgres/pg-test-env.js'

const skip = await pgSkipReason()
const schemas = new WeakMap<PostgresMetadataStore, string>()

async function openIn(schema: string): Promise<PostgresMetadataStore> {
  const store = await PostgresMetadataStore.open({ connectionString: PG_URL, schema })
  schemas.set(store, schema)
  return store
}

if (skip !== undefined) {
  it('PostgresMetadataStore conformance', { skip }, () => {})
} else {
  describeMetadataStore({
    name: 'PostgresMetadataStore',
    create: () => openIn(randomSchema()),
    reopen: async (store) => {
      await store.close()
      return openIn(schemas.get(store)!)
    },
    // A second pool on the same schema: another node.
    openPeer: (store) => openIn(schemas.get(store)!),
    destroy: (store) => dropSchema(schemas.get(store)!),
  })
}
