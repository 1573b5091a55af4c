import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import pg from 'pg'
import { newFileBlock } from '../../../src/core/block.js'
import { isBlockStoreError } from '../../../src/core/errors.js'
import { POSTGRES_SCHEMA_VERSION, PostgresMetadataStore } from '../../../src/meta/postgres/index.js'
import { POSTGRES_MIGRATIONS } from '../../../src/meta/postgres/schema.js'
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

  it('loads rows written by the format before chunk roots, and adds the column', async () => {
    const name = schema()
    const client = new pg.Client({ connectionString: PG_URL })
    await client.connect()
    try {
      // Format 2 exactly as older releases wrote it, with one uploaded block.
      await client.query(`CREATE SCHEMA "${name}"`)
      await client.query(
        `CREATE TABLE "${name}".format (one boolean PRIMARY KEY DEFAULT true CHECK (one),
         version integer NOT NULL)`,
      )
      for (const m of POSTGRES_MIGRATIONS.slice(0, 2)) {
        await client.query(m.replaceAll('$S', `"${name}"`))
      }
      await client.query(`INSERT INTO "${name}".format (one, version) VALUES (true, 2)`)
      await client.query(
        `INSERT INTO "${name}".file_blocks (id, payload_id, block_idx, hash, data_size,
         local_path, block_store_key, ref_count, last_access, created_at, state, version)
         VALUES ('old/0', 'old', 0, $1, 4096, '', 'blocks/5a/k', 1, 1, 1, 3, 4)`,
        ['5a'.repeat(32)],
      )
    } finally {
      await client.end()
    }
    const store = await PostgresMetadataStore.open({ connectionString: PG_URL, schema: name })
    try {
      const row = await store.getFileBlock('old/0')
      assert.equal(row.hash.toString(), '5a'.repeat(32))
      assert.equal(row.version, 4)
      assert.equal('chunkRoot' in row, false, 'an old row has no chunk index: read whole')
      const updated = await store.compareAndPutFileBlock({ ...row, chunkRoot: row.hash }, 4)
      assert.equal(updated?.chunkRoot?.toString(), '5a'.repeat(32))
      // Rows deleted before the migration are unknown: new rows start above every live version.
      assert.ok((await store.putFileBlock(newFileBlock('new/0', '/x'))).version > 4)
      assert.equal(await store.deleteFileBlock('old/0'), true)
      const again = await store.putFileBlock(newFileBlock('old/0', '/x'))
      assert.ok(again.version > updated!.version)
    } finally {
      await store.close()
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
