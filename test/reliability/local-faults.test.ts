/**
 * Local faults: block files deleted or truncated behind the engine's back, the disk cap
 * reached with nothing evictable, the metadata database failing. Each is detected (never
 * zeros or stale bytes served), healed from the remote copy where one exists, and leaves no
 * partial state.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm, truncate, unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { rejectsCode } from '../../src/conformance/remote-store-assert.js'
import { BlockState } from '../../src/core/block.js'
import { BlockSize } from '../../src/core/constants.js'
import { isBlockStoreError } from '../../src/core/errors.js'
import { SqliteMetadataStore } from '../../src/meta/sqlite/index.js'
import { fastSyncer, openTestEngine } from '../support/engine-fixture.js'
import { onDisk } from '../support/engine-presets.js'
import { waitFor } from '../support/wait-for.js'
import { assertSameBytes } from './support/assert-bytes.js'
import { failingMetadata } from './support/failing-metadata.js'
import { patternBytes } from './support/pattern.js'

const temps: string[] = []
after(async () => {
  for (const d of temps) await rm(d, { recursive: true, force: true })
})

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'rel-local-'))
  temps.push(d)
  return d
}

async function readAll(
  store: { readAt(p: string, d: Uint8Array, o: number): Promise<number> },
  p: string,
  size: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(size)
  assert.equal(await store.readAt(p, out, 0), size)
  return out
}

describe('block files damaged behind the engine', () => {
  for (const damage of ['deleted', 'truncated'] as const) {
    it(`a remote block whose local copy was ${damage} is fetched again, verified and re-cached`, async () => {
      // Copies of fetched blocks are kept for every read here (by default sequential streams
      // and small verified ranges leave none).
      await using e = await openTestEngine({
        ...onDisk,
        cacheFetchedBlocks: 'always',
        rangedReadThreshold: 0,
      })
      const data = patternBytes(1, 0, BlockSize + 4096)
      await e.engine.writeAt('f', data, 0)
      await e.engine.flush('f')
      assert.deepEqual((await e.engine.drainAllUploads()).failed, [])
      const row = await e.row('f', 0)
      assert.equal(row.state, BlockState.Remote)
      assert.notEqual(row.localPath, '')
      // Reopened so no pooled handle keeps the old file alive.
      await e.reopen()
      if (damage === 'deleted') await unlink(row.localPath)
      else await truncate(row.localPath, 1000)
      assertSameBytes(await readAll(e.engine, 'f', data.length), data)
      const small = new Uint8Array(64)
      await e.engine.readAt('f', small, 5000)
      assertSameBytes(small, data.subarray(5000, 5064))
      const healed = await e.row('f', 0)
      assert.equal(healed.state, BlockState.Remote)
      assert.notEqual(healed.localPath, '', 'the fetched copy was cached again')
    })

    it(`a block not yet uploaded whose file was ${damage} reads as BS_INTEGRITY_CHECK_FAILED, never zeros`, async () => {
      await using e = await openTestEngine({ ...onDisk, remote: { kind: 'none' } })
      const data = patternBytes(2, 0, BlockSize)
      await e.engine.writeAt('g', data, 0)
      await e.engine.flush('g')
      const row = await e.row('g', 0)
      assert.equal(row.state, BlockState.Local)
      await e.reopen()
      if (damage === 'deleted') await unlink(row.localPath)
      else await truncate(row.localPath, 1000)
      await rejectsCode(readAll(e.engine, 'g', data.length), 'BS_INTEGRITY_CHECK_FAILED')
    })

    it(`a flushed block whose file was ${damage} before its upload is never uploaded`, async () => {
      const idle = { ...fastSyncer, uploadIntervalMs: 60_000, uploadDelayMs: 60_000 }
      await using e = await openTestEngine({ ...onDisk, syncer: idle })
      await e.engine.writeAt('u', patternBytes(3, 0, BlockSize), 0)
      await e.engine.flush('u')
      const row = await e.row('u', 0)
      await e.reopen()
      if (damage === 'deleted') await unlink(row.localPath)
      else await truncate(row.localPath, 1000)
      const report = await e.engine.drainAllUploads()
      assert.deepEqual(
        report.failed.map((f) => f.code),
        ['BS_INTEGRITY_CHECK_FAILED'],
      )
      assert.equal(report.uploaded, 0)
      assert.equal((await e.row('u', 0)).state, BlockState.Local)
    })
  }
})

describe('disk cap reached with nothing evictable', () => {
  it('writes fail with BS_STORAGE_FULL, flushed data stays intact, and writes resume after a drain', async () => {
    await using e = await openTestEngine({
      ...onDisk,
      local: { ...onDisk.local, maxDisk: 2 * BlockSize },
      faults: true,
    })
    const { remote } = e
    const a = patternBytes(4, 0, 2 * BlockSize)
    remote.down = true
    await waitFor(
      'degraded health',
      async () => (await e.engine.healthcheck()).status === 'degraded',
    )
    await e.engine.writeAt('a', a, 0)
    await e.engine.flush('a')
    const b = patternBytes(5, 0, BlockSize)
    await rejectsCode(
      (async () => {
        await e.engine.writeAt('b', b, 0)
        await e.engine.flush('b')
      })(),
      'BS_STORAGE_FULL',
    )
    assertSameBytes(await readAll(e.engine, 'a', a.length), a, 'a while full')
    remote.down = false
    await waitFor('healthy again', async () => (await e.engine.healthcheck()).status === 'healthy')
    assert.deepEqual((await e.engine.drainAllUploads()).failed, [])
    await e.engine.writeAt('b', b, 0)
    await e.engine.flush('b')
    assertSameBytes(await readAll(e.engine, 'b', b.length), b, 'b after drain')
    assertSameBytes(await readAll(e.engine, 'a', a.length), a, 'a after drain')
  })
})

describe('metadata database unavailable', () => {
  it('calls fail with a clear BlockStoreError and leave no partial state behind', async () => {
    const inner = await SqliteMetadataStore.open({ path: join(await tempDir(), 'm.db') })
    const meta = failingMetadata(inner)
    {
      // The engine closes (end of this block) before the metadata store it was given.
      await using e = await openTestEngine({ ...onDisk, metadata: { store: meta.store } })
      const before = patternBytes(6, 0, BlockSize + 128)
      await e.engine.writeAt('m', before, 0)
      await e.engine.flush('m')
      meta.down = true
      const after = patternBytes(7, 4096, BlockSize)
      const err = await e.engine
        .writeAt('m', after, 4096)
        .then(() => e.engine.flush('m'))
        .then(
          () => undefined,
          (x: unknown) => x,
        )
      assert.ok(isBlockStoreError(err), `a BlockStoreError, got ${String(err)}`)
      assert.match(err.message, /metadata/i)
      meta.down = false
      // The failed call either applied the write or not; a flush now settles it, and every byte
      // is the old or the new one, never a mix of anything else.
      await e.engine.flush('m')
      const got = await readAll(e.engine, 'm', await e.engine.getSize('m'))
      const whole = new Uint8Array(Math.max(before.length, 4096 + after.length))
      whole.set(before)
      whole.set(after, 4096)
      const isOld = Buffer.from(got.subarray(0, before.length)).equals(before)
      if (!isOld) assertSameBytes(got, whole, 'the new bytes')
      await e.reopen()
      assertSameBytes(await readAll(e.engine, 'm', got.length), got, 'after a restart')
    }
    await inner.close()
  })
})
