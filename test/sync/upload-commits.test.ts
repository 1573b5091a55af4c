/**
 * An upload's row commits do not each wait for the metadata store's sync; a drain and a
 * remote-durable flush sync it before they return, so what they report is durable.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { pattern } from '../../src/conformance/block-store/fixture.js'
import type { CommitOptions, MetadataStore } from '../../src/core/metadata-store.js'
import { openBlockStore } from '../../src/engine/index.js'
import { SqliteMetadataStore } from '../../src/meta/sqlite/index.js'

/** The store, with its compare-and-set commits and syncs logged in call order. */
function logged(store: MetadataStore, log: string[]): MetadataStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver)
      if (typeof v !== 'function') return v
      if (prop === 'compareAndPutFileBlock') {
        return (block: unknown, version: number, options?: CommitOptions) => {
          log.push(options?.deferSync === true ? 'cas deferred' : 'cas durable')
          return v.call(target, block, version, options)
        }
      }
      if (prop === 'sync') {
        return async () => {
          await v.call(target)
          log.push('sync')
        }
      }
      return v.bind(target)
    },
  })
}

let dir = ''

describe('upload row commits', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ditto-upload-commits-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  for (const how of ['drainAllUploads', 'remote-durable flush'] as const) {
    it(`do not wait for a sync each, and ${how} syncs the store before returning`, async () => {
      const sqlite = await SqliteMetadataStore.open({ path: join(dir, `${how}.db`) })
      const log: string[] = []
      const store = await openBlockStore({
        ...(how === 'remote-durable flush' ? { durability: 'remote' as const } : {}),
        local: { kind: 'fs', dir: join(dir, `${how}-local`) },
        remote: { kind: 'memory' },
        metadata: logged(sqlite, log),
        syncer: { uploadIntervalMs: 3_600_000 },
      })
      try {
        const n = how === 'drainAllUploads' ? 8 : 0
        for (let i = 0; i < n; i++) {
          await store.writeAt(`p${i}`, pattern(20_000, i), 0)
          await store.flush(`p${i}`)
        }
        log.length = 0
        const syncsBefore = sqlite.walSyncs
        if (how === 'drainAllUploads') {
          assert.equal((await store.drainAllUploads()).uploaded, 8)
        } else {
          await store.writeAt('p8', pattern(20_000, 8), 0)
          await store.flush('p8')
        }
        const uploads = log.filter((l) => l.startsWith('cas'))
        assert.ok(uploads.length >= 3, log.join(', '))
        assert.ok(
          log.filter((l) => l === 'cas durable').length <= 1,
          `the upload commits are deferred: ${log.join(', ')}`,
        )
        assert.equal(log.at(-1), 'sync', `synced last: ${log.join(', ')}`)
        assert.ok(sqlite.walSyncs - syncsBefore < uploads.length, 'commits shared syncs')
        if (how === 'remote-durable flush') assert.ok((await store.flush('p8')).finalized)
      } finally {
        await store.close()
        // Passed in, so not the engine's to close (its WAL sync handle would be left open).
        await sqlite.close()
      }
    })
  }
})
