/**
 * The engine's short local-tier config reaches the store under the store's own names: a memory
 * store's `maxDisk` caps what it holds (its earlier name `maxMemoryBytes` was once accepted and
 * ignored) and `spaceWaitMs` bounds the wait. Earlier names still work, with a warning; an
 * option that does not apply to the kind is refused.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { pattern } from '../../src/conformance/block-store/fixture.js'
import { isBlockStoreError } from '../../src/core/errors.js'
import { type LocalConfig, openBlockStore } from '../../src/engine/index.js'

describe('local tier config', () => {
  it("a memory store's maxDisk caps what it holds, spaceWaitMs bounds the wait", async () => {
    const store = await openBlockStore({
      local: { kind: 'memory', maxDisk: 64 * 1024, spaceWaitMs: 30 },
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

  it('a memory store without maxDisk holds what it is given', async () => {
    const store = await openBlockStore({ local: { kind: 'memory' }, metadata: { kind: 'memory' } })
    try {
      await store.writeAt('a', pattern(3 * 1024 * 1024, 3), 0)
      assert.equal(await store.getSize('a'), 3 * 1024 * 1024)
    } finally {
      await store.close()
    }
  })

  it('earlier names still apply, with one DeprecationWarning each', async () => {
    const warnings: Error[] = []
    const onWarning = (w: Error): void => {
      if ((w as { code?: string }).code === 'DITTO_DEP_LOCAL_OPTION') warnings.push(w)
    }
    process.on('warning', onWarning)
    const dir = await mkdtemp(join(tmpdir(), 'local-config-'))
    try {
      for (let i = 0; i < 2; i++) {
        const fs = await openBlockStore({
          local: { kind: 'fs', dir, maxDiskBytes: 3 * 1024 ** 3, maxMemoryBytes: 5 * 1024 ** 2 },
          metadata: { kind: 'memory' },
        })
        const stats = await fs.stats()
        await fs.close()
        assert.equal(stats.localDiskMax, 3 * 1024 ** 3)
        assert.equal(stats.localMemMax, 5 * 1024 ** 2)
      }
      const memory = await openBlockStore({
        local: { kind: 'memory', maxMemoryBytes: 7 * 1024 ** 2 },
        metadata: { kind: 'memory' },
      })
      const stats = await memory.stats()
      await memory.close()
      assert.equal(stats.localDiskMax, 7 * 1024 ** 2)
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve))
      const messages = warnings.map((w) => w.message)
      assert.equal(messages.length, 3, messages.join('\n'))
      for (const expected of [
        /^local\.maxDiskBytes is deprecated: use local\.maxDisk .*"fs"/,
        /^local\.maxMemoryBytes is deprecated: use local\.maxMemory .*"fs"/,
        /^local\.maxMemoryBytes is deprecated: use local\.maxDisk .*"memory"/,
      ]) {
        assert.ok(
          messages.some((m) => expected.test(m)),
          `${expected} among ${messages.join(' | ')}`,
        )
      }
    } finally {
      process.off('warning', onWarning)
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('refuses an option that does not apply, and a limit given under both names', async () => {
    const refused = async (local: object, pattern: RegExp): Promise<void> => {
      await assert.rejects(
        openBlockStore({ local: local as LocalConfig, metadata: { kind: 'memory' } }),
        (e: unknown) => isBlockStoreError(e, 'BS_INVALID_CONFIG') && pattern.test(e.message),
      )
    }
    await refused({ kind: 'memory', maxMemory: 1024 }, /local\.maxMemory does not apply .*maxDisk/)
    await refused(
      { kind: 'memory', dir: '/tmp/x' },
      /local\.dir does not apply to a local store of kind "memory": a memory store has no directory/,
    )
    await refused({ kind: 'memory', maxDiskBytes: 1024 }, /local\.maxDiskBytes does not apply/)
    await refused({ kind: 'fs', dir: '/nonexistent/x', cap: 1 }, /local\.cap does not apply/)
    await refused(
      { kind: 'fs', dir: '/nonexistent/x', maxDisk: 1, maxDiskBytes: 1 },
      /give only local\.maxDisk/,
    )
    // Optional fields spread as undefined are not given.
    const store = await openBlockStore({
      local: { kind: 'memory', dir: undefined } as unknown as LocalConfig,
      metadata: { kind: 'memory' },
    })
    await store.close()
  })
})
