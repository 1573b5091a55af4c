/**
 * Background WAL checkpoints: a worker's connection copies the WAL into the database file so
 * the writer's commits (on the event loop) do not. Checked: checkpoints happen under a stream
 * of commits and keep the WAL bounded, every commit is there after a reopen and after the
 * database file is read by a fresh connection, the option turns it off, and a failed worker
 * hands checkpoints back to the writer without failing the store.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import Sqlite from 'better-sqlite3'
import { SqliteMetadataStore } from '../../../src/meta/sqlite/index.js'
import {
  BACKSTOP_PAGES,
  CHECKPOINT_EVERY_COMMITS,
  WalCheckpointer,
} from '../../../src/meta/sqlite/wal-checkpointer.js'
import { waitFor } from '../../support/wait-for.js'

let dir = ''
let n = 0
const fresh = (): string => join(dir, `db-${n++}.sqlite`)

describe('WalCheckpointer', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ditto-wal-ckpt-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('checkpoints on a worker under a stream of commits; the WAL stays bounded', async () => {
    const path = fresh()
    const store = await SqliteMetadataStore.open({ path, durability: 'normal' })
    try {
      const commits = 6 * CHECKPOINT_EVERY_COMMITS
      let walPeak = 0
      for (let i = 0; i < commits; i++) {
        await store.putPayload({ id: `p/${i}`, size: i, createdAt: 1, modifiedAt: 2 })
        if (i % 64 === 0) walPeak = Math.max(walPeak, (await stat(`${path}-wal`)).size)
      }
      await waitFor(
        'a background checkpoint',
        () => (store.checkpoints?.checkpoints ?? 0) > 0,
        10_000,
      )
      const stats = store.checkpoints
      assert.ok(stats !== undefined)
      assert.equal(stats.failure, undefined)
      assert.equal(stats.started, true)
      assert.ok(stats.framesCopied > 0, 'frames copied into the database file')
      assert.ok(walPeak <= (BACKSTOP_PAGES + 100) * 4096, `WAL peaked at ${walPeak} bytes`)
      // A separate connection sees what the worker copied plus the WAL: every commit.
      const reader = new Sqlite(path, { readonly: true })
      try {
        const row = reader.prepare('SELECT count(*) AS n FROM payloads').get() as { n: number }
        assert.equal(row.n, commits)
      } finally {
        reader.close()
      }
    } finally {
      await store.close()
    }
    // The writer's close checkpoints the rest as the last connection: all in the file.
    const again = await SqliteMetadataStore.open({ path })
    try {
      const page = await again.listPayloads({ limit: 10_000 })
      assert.equal(page.items.length, 6 * CHECKPOINT_EVERY_COMMITS)
      assert.equal((await again.getPayload('p/100'))?.size, 100)
    } finally {
      await again.close()
    }
  })

  it('starts no worker for a store that never commits enough to need one', async () => {
    const path = fresh()
    const store = await SqliteMetadataStore.open({ path })
    await store.putPayload({ id: 'a', size: 1, createdAt: 1, modifiedAt: 1 })
    await store.close()
    assert.deepEqual(store.checkpoints, {
      started: false,
      checkpoints: 0,
      framesCopied: 0,
      failure: undefined,
    })
  })

  it('is off when asked, and for a database without a WAL file', async () => {
    const off = await SqliteMetadataStore.open({ path: fresh(), backgroundCheckpoints: false })
    const memory = await SqliteMetadataStore.open({ path: ':memory:' })
    try {
      assert.equal(off.checkpoints, undefined)
      assert.equal(memory.checkpoints, undefined)
    } finally {
      await off.close()
      await memory.close()
    }
  })

  it('reports a worker that cannot start and gives checkpoints back to the writer', async () => {
    let handedBack = 0
    const broken = new WalCheckpointer(join(dir, 'missing.sqlite'), () => handedBack++)
    // Nothing started before the first checkpoint is due.
    for (let i = 0; i < CHECKPOINT_EVERY_COMMITS - 1; i++) broken.committed()
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.equal(handedBack, 0)
    assert.equal(broken.stats.started, false)
    broken.committed()
    await waitFor('the failure', () => broken.stats.failure !== undefined, 10_000)
    assert.equal(handedBack, 1)
    assert.match(broken.stats.failure ?? '', /unable to open|no such file|SQLITE_CANTOPEN/i)
    // Commits keep being counted without a worker to ask, and close still resolves.
    for (let i = 0; i < 2 * CHECKPOINT_EVERY_COMMITS; i++) broken.committed()
    await broken.close()
    assert.equal(broken.stats.checkpoints, 0)
  })
})
