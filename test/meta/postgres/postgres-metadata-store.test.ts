import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import pg from 'pg'
import { newFileBlock } from '../../../src/core/block.js'
import { isBlockStoreError } from '../../../src/core/errors.js'
import { POSTGRES_SCHEMA_VERSION, PostgresMetadataStore } from '../../../src/meta/postgres/index.js'
import { dropSchema, PG_URL, pgSkipReason, randomSchema } from './pg-test-env.js'

const skip = await pgSkipReason()
const created: string[] = []
const schema = (): string => {
  const name = randomSchema()
  created.push(name)
  return name
}

describe('PostgresMetadataStore', { skip }, () => {
  after(async () => {
    for (const name of created) await dropSchema(name)
  })

  it('migrates exactly once when four nodes open a new schema at the same time', async () => {
    const name = schema()
    const stores = await Promise.all(
      Array.from({ length: 4 }, () =>
        PostgresMetadataStore.open({ connectionString: PG_URL, schema: name }),
      ),
    )
    try {
      await stores[0]!.putFileBlock(newFileBlock('n/0', '/x'))
      assert.equal((await stores[3]!.getFileBlock('n/0')).version, 1)
    } finally {
      await Promise.all(stores.map((s) => s.close()))
    }
  })

  it('rejects a schema written by a newer format with BS_UNSUPPORTED_FORMAT', async () => {
    const name = schema()
    await (await PostgresMetadataStore.open({ connectionString: PG_URL, schema: name })).close()
    const client = new pg.Client({ connectionString: PG_URL })
    await client.connect()
    await client.query(`UPDATE "${name}".format SET version = $1`, [POSTGRES_SCHEMA_VERSION + 1])
    await client.end()
    await assert.rejects(PostgresMetadataStore.open({ connectionString: PG_URL, schema: name }), {
      code: 'BS_UNSUPPORTED_FORMAT',
    })
  })

  it('uses a caller pool without ending it on close', async () => {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 2 })
    try {
      const store = await PostgresMetadataStore.open({ pool, schema: schema() })
      await store.putFileBlock(newFileBlock('p/0', '/x'))
      await store.close()
      assert.equal((await pool.query('SELECT 1 AS one')).rows[0].one, 1)
    } finally {
      await pool.end()
    }
  })

  it('stores 64-bit columns as numbers, not strings', async () => {
    await using store = await PostgresMetadataStore.open({
      connectionString: PG_URL,
      schema: schema(),
    })
    const big = 2 ** 52 + 3
    await store.putFileBlock({ ...newFileBlock('i/0', '/x'), lastAccess: big, dataSize: 2 ** 33 })
    const row = await store.getFileBlock('i/0')
    assert.equal(row.lastAccess, big)
    assert.equal(row.dataSize, 2 ** 33)
    assert.equal(typeof row.version, 'number')
  })

  it('rejects an invalid schema name or missing connection with BS_INVALID_CONFIG', async () => {
    await assert.rejects(
      PostgresMetadataStore.open({ connectionString: PG_URL, schema: 'x; DROP TABLE y' }),
      { code: 'BS_INVALID_CONFIG' },
    )
    await assert.rejects(PostgresMetadataStore.open({}), { code: 'BS_INVALID_CONFIG' })
  })
})

describe('PostgresMetadataStore without a server', () => {
  it('surfaces a refused connection as BS_UNAVAILABLE with the cause', async () => {
    await assert.rejects(
      PostgresMetadataStore.open({ connectionString: 'postgres://postgres@127.0.0.1:1/postgres' }),
      (err) => {
        assert.ok(isBlockStoreError(err, 'BS_UNAVAILABLE'))
        assert.ok(err.cause !== undefined)
        return true
      },
    )
  })
})
