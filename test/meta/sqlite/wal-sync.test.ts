import assert from 'node:assert/strict'
import { mkdtemp, rm, unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { newFileBlock } from '../../../src/core/block.js'
import { isBlockStoreError } from '../../../src/core/errors.js'
import { SqliteMetadataStore } from '../../../src/meta/sqlite/index.js'
import { WalSync } from '../../../src/meta/sqlite/wal-sync.js'

let dir = ''
let n = 0
const fresh = (): string => join(dir, `db-${n++}.sqlite`)

describe('WalSync', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ditto-wal-sync-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('makes commits that wait together share one sync of the WAL', async () => {
    const path = fresh()
    const store = await SqliteMetadataStore.open({ path })
    await store.close()
    const wal = new WalSync(path) // any existing file stands in for the WAL here
    await wal.committed()
    assert.equal(wal.syncs, 1)
    // The 64 commit in the same turn of the event loop: the sync waits for the end of that
    // turn before it takes its target, so one covers them all.
    await Promise.all(Array.from({ length: 64 }, () => wal.committed()))
    assert.equal(wal.syncs, 2)
    // One that commits while a sync runs waits for the next one.
    const first = wal.committed()
    await new Promise((resolve) => setImmediate(resolve))
    const late = wal.committed()
    await Promise.all([first, late])
    assert.equal(wal.syncs, 4)
    await wal.close()
  })

  it('counts a deferred commit without syncing, and covers it by the next sync', async () => {
    const path = fresh()
    await (await SqliteMetadataStore.open({ path })).close()
    const wal = new WalSync(path)
    wal.deferred()
    wal.deferred()
    assert.equal(wal.syncs, 0, 'a deferred commit does not wait for a sync')
    await wal.durable()
    assert.equal(wal.syncs, 1, 'one sync covers every deferred commit')
    await wal.durable()
    assert.equal(wal.syncs, 1, 'nothing new to sync')
    await wal.close()
  })

  it('store: a deferSync commit is visible at once and made durable by sync()', async () => {
    const path = fresh()
    const store = await SqliteMetadataStore.open({ path })
    try {
      const before = store.walSyncs
      await store.putPayload({ id: 'p', size: 7, createdAt: 1, modifiedAt: 2 }, { deferSync: true })
      assert.equal((await store.getPayload('p'))?.size, 7)
      assert.equal(store.walSyncs, before, 'the deferred commit waited for no sync')
      await store.sync()
      assert.equal(store.walSyncs, before + 1)
      await store.putPayload({ id: 'p', size: 8, createdAt: 1, modifiedAt: 3 })
      assert.equal(store.walSyncs, before + 2, 'a plain commit still waits for its sync')
    } finally {
      await store.close()
    }
  })

  it('lets a caller waiting on a sync finish when the WAL is closed meanwhile', async () => {
    const path = fresh()
    await (await SqliteMetadataStore.open({ path })).close()
    const live = new WalSync(path)
    const waiting = live.committed()
    await live.close()
    await waiting
    assert.equal(live.syncs, 1)
  })

  it('fails the commit and every later call with BS_UNAVAILABLE once a sync failed', async () => {
    const path = fresh()
    const store = await SqliteMetadataStore.open({ path })
    try {
      // The WAL exists once the schema is written; without it no sync can be done.
      await unlink(`${path}-wal`)
      const row = newFileBlock('p/0', '/x', Date.now())
      await assert.rejects(store.putFileBlock(row), (err) =>
        isBlockStoreError(err, 'BS_UNAVAILABLE'),
      )
      await assert.rejects(store.getFileBlock('p/0'), (err) =>
        isBlockStoreError(err, 'BS_UNAVAILABLE'),
      )
      await assert.rejects(
        store.putPayload({ id: 'p', size: 1, createdAt: 1, modifiedAt: 1 }),
        (err) => isBlockStoreError(err, 'BS_UNAVAILABLE'),
      )
    } finally {
      await store.close()
    }
  })

  it('keeps every row and record whose concurrent call returned across a close and reopen', async () => {
    const path = fresh()
    const store = await SqliteMetadataStore.open({ path })
    const ids = Array.from({ length: 40 }, (_, i) => `p${i}/0`)
    await Promise.all(ids.map((id) => store.putFileBlock(newFileBlock(id, `/l/${id}`, 5))))
    await Promise.all(
      ids.map((_, i) => store.putPayload({ id: `p${i}`, size: i, createdAt: 1, modifiedAt: 2 })),
    )
    await store.close()
    await using again = await SqliteMetadataStore.open({ path })
    for (const [i, id] of ids.entries()) {
      assert.equal((await again.getFileBlock(id)).localPath, `/l/${id}`)
      assert.equal((await again.getPayload(`p${i}`))?.size, i)
    }
  })
})
