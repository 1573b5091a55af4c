/**
 * The engine's short local-tier config for a memory store reaches the store: `maxMemoryBytes`
 * caps what it holds (it used to be accepted and ignored) and `spaceWaitMs` bounds the wait.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pattern } from '../../src/conformance/block-store/fixture.js'
import { isBlockStoreError } from '../../src/core/errors.js'
import { openBlockStore } from '../../src/engine/index.js'

describe('local tier config', () => {
  it("a memory store's maxMemoryBytes caps what it holds, spaceWaitMs bounds the wait", async () => {
    const store = await openBlockStore({
      local: { kind: 'memory', maxMemoryBytes: 64 * 1024, spaceWaitMs: 30 },
      metadata: { kind: 'memory' },
    })
    try {
      await store.writeAt('a', pattern(64 * 1024, 1), 0)
      const started = performance.now()
      await assert.rejects(store.writeAt('b', pattern(4096, 2), 0), (e: unknown) =>
        isBlockStoreError(e, 'BS_STORAGE_FULL'),
      )
      assert.ok(performance.now() - started < 5_000, 'the wait is the one configured')
      // No byte of the refused write landed (like a POSIX create whose write failed, the
      // payload it named exists, empty); what fit reads back.
      assert.equal(await store.getSize('b'), 0)
      const back = new Uint8Array(64 * 1024)
      await store.readAt('a', back, 0)
      assert.deepEqual(back, pattern(64 * 1024, 1))
    } finally {
      await store.close()
    }
  })

  it('a memory store without maxMemoryBytes holds what it is given', async () => {
    const store = await openBlockStore({ local: { kind: 'memory' }, metadata: { kind: 'memory' } })
    try {
      await store.writeAt('a', pattern(3 * 1024 * 1024, 3), 0)
      assert.equal(await store.getSize('a'), 3 * 1024 * 1024)
    } finally {
      await store.close()
    }
  })
})
