/**
 * Requests per uploaded block: a block whose content no other row has is sent with one PUT
 * and no HEAD (its row references the content key before the PUT, which is what keeps GC off
 * it), its chunk index inside the same object, and the PUT carries the digest of exactly the
 * bytes it sends; a block whose content is already stored costs one HEAD and no PUT.
 */
import assert from 'node:assert/strict'
import { randomFillSync } from 'node:crypto'
import { describe, it } from 'node:test'
import type { AbortOptions } from '../../src/core/abort.js'
import { BlockSize } from '../../src/core/constants.js'
import { parseChunkIndexKey } from '../../src/core/keys.js'
import type { RemoteObjectInfo, WriteBlockOptions } from '../../src/core/remote-store.js'
import { MemoryMetadataStore } from '../../src/meta/memory/memory-metadata-store.js'
import { hashBlock, hashOwnedBlockWithChunks } from '../../src/platform/hash-block.js'
import { MemoryRemoteStore } from '../../src/remote/memory/index.js'
import { CountingRemote } from '../support/counting-remote.js'
import { openTestEngine } from '../support/engine-fixture.js'

class StatCountingRemote extends CountingRemote {
  heads = 0
  /** The digest each PUT was given, and the SHA-256 of the body it sent. */
  readonly digests: (string | undefined)[] = []
  readonly bodies: string[] = []

  override statBlock(key: string, o?: AbortOptions): Promise<RemoteObjectInfo | undefined> {
    if (parseChunkIndexKey(key) === undefined) this.heads++
    return super.statBlock(key, o)
  }

  override writeBlock(key: string, data: Uint8Array, o?: WriteBlockOptions): Promise<void> {
    if (parseChunkIndexKey(key) === undefined) {
      this.digests.push(o?.sha256?.toString())
      this.bodies.push(hashBlock(data).toString())
    }
    return super.writeBlock(key, data, o)
  }
}

describe('upload requests per block', () => {
  it('uploads fresh content with one PUT carrying its digest and no HEAD', async () => {
    const remote = new StatCountingRemote(new MemoryRemoteStore())
    await using t = await openTestEngine({ remote: { store: remote } })
    const data = randomFillSync(new Uint8Array(3 * BlockSize))
    await t.engine.writeAt('p', data, 0)
    await t.engine.flush('p')
    const report = await t.engine.drainAllUploads()
    assert.equal(report.uploaded, 3)
    assert.equal(remote.calls.writeBlock, 3)
    assert.equal(remote.calls.indexWrites, 0, "each chunk index travels in its block's object")
    assert.equal(remote.heads, 0)
    const expected: string[] = []
    for (let b = 0; b < 3; b++) {
      const block = data.slice(b * BlockSize, (b + 1) * BlockSize)
      const { indexedBodyHash } = await hashOwnedBlockWithChunks(block)
      expected.push(indexedBodyHash!.toString())
    }
    assert.deepEqual([...remote.digests].sort(), expected.sort())
    assert.deepEqual(remote.digests, remote.bodies, 'each PUT signs the digest of what it sends')
  })

  it('deduplicates stored content with one HEAD and no PUT', async () => {
    const remote = new StatCountingRemote(new MemoryRemoteStore())
    await using t = await openTestEngine({ remote: { store: remote } })
    const data = randomFillSync(new Uint8Array(BlockSize))
    await t.engine.writeAt('a', data, 0)
    await t.engine.flush('a')
    await t.engine.drainAllUploads()
    const puts = remote.calls.writeBlock
    await t.engine.writeAt('b', data, 0)
    await t.engine.flush('b')
    const report = await t.engine.drainAllUploads()
    assert.equal(report.deduplicated, 1)
    assert.equal(remote.calls.writeBlock, puts)
    assert.equal(remote.calls.indexWrites, 0, 'the index is in the shared object')
    assert.equal(remote.heads, 1)
  })
  it('uploads identical blocks drained together once', async () => {
    const remote = new StatCountingRemote(new MemoryRemoteStore())
    const metadata = await MemoryMetadataStore.open()
    // Commits take a few ms, as on SQLite or PostgreSQL, so the uploads overlap.
    const slow = new Proxy(metadata, {
      get(target, p) {
        const v = Reflect.get(target, p, target)
        if (typeof v !== 'function') return v
        if (p !== 'compareAndPutFileBlock') return v.bind(target)
        return async (...args: Parameters<MemoryMetadataStore['compareAndPutFileBlock']>) => {
          await new Promise((r) => setTimeout(r, 5))
          return target.compareAndPutFileBlock(...args)
        }
      },
    })
    await using t = await openTestEngine({
      local: { kind: 'fs', open: 'config' },
      remote: { store: remote },
      metadata: { store: slow },
      readBufferBytes: undefined,
      syncer: { parallelUploads: 8, uploadIntervalMs: 3_600_000 },
    })
    const { engine } = t
    const data = randomFillSync(new Uint8Array(BlockSize))
    for (const pid of ['a', 'b', 'c', 'd']) {
      await engine.writeAt(pid, data, 0)
      await engine.flush(pid)
    }
    const report = await engine.drainAllUploads()
    assert.deepEqual([report.uploaded, report.deduplicated], [1, 3])
    assert.equal(remote.calls.writeBlock, 1)
  })
})
