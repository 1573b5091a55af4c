/**
 * `renamePayload` cases: one atomic move of a payload's rows and record onto another ID,
 * guarded by the source's row versions, with versions that defeat every stale compare-and-set.
 */
import assert from 'node:assert/strict'
import { BlockState, type FileBlock } from '../../core/block.js'
import type { MetadataStore, PayloadRecord } from '../../core/metadata-store.js'
import type { Harness } from '../harness.js'
import { type SuiteContext, withReopen } from './context.js'
import { block, collect, content, ids, rejectsWith, remoteBlock } from './fixtures.js'

function record(id: string, size: number, at = 1_000): PayloadRecord {
  return { id, size, createdAt: at, modifiedAt: at + 1 }
}

/** Block index -> version of a payload's rows, as a caller would pass them. */
async function versionsOf(store: MetadataStore, pid: string): Promise<Map<number, number>> {
  const out = new Map<number, number>()
  for (const row of await store.listFileBlocks(pid)) {
    out.set(Number(row.id.slice(pid.length + 1)), row.version)
  }
  return out
}

/** A payload with a record and the given rows. */
async function seed(store: MetadataStore, pid: string, rows: FileBlock[], size: number) {
  const stored: FileBlock[] = []
  for (const row of rows) stored.push(await store.putFileBlock(row))
  await store.putPayload(record(pid, size))
  return stored
}

function renamed(row: FileBlock, dst: string): Record<string, unknown> {
  const idx = row.id.slice(row.id.lastIndexOf('/') + 1)
  return content({ ...row, id: `${dst}/${idx}` })
}

/** Registers the rename cases. */
export function renameCases(h: Harness, ctx: SuiteContext): void {
  h.describe('renamePayload', () => {
    h.it('moves rows and record onto a new ID and leaves nothing under the old one', async () => {
      const s = ctx.store
      const rows = await seed(
        s,
        'st/a',
        [block('st/a/0', { state: BlockState.Local, dataSize: 9 }), remoteBlock('st/a/2', 7)],
        3 * 8 + 1,
      )
      assert.equal(
        await s.renamePayload('st/a', 'dst', { expectedVersions: await versionsOf(s, 'st/a') }),
        true,
      )
      assert.deepEqual(await s.listFileBlocks('st/a'), [])
      assert.equal(await s.getPayload('st/a'), undefined)
      const moved = await s.listFileBlocks('dst')
      assert.deepEqual(ids(moved), ['dst/0', 'dst/2'])
      assert.deepEqual(
        moved.map(content),
        rows.map((r) => renamed(r, 'dst')),
      )
      for (const [i, row] of moved.entries()) assert.ok(row.version > rows[i]!.version)
      assert.deepEqual(await s.getPayload('dst'), record('dst', 25))
    })

    h.it('replaces every row of an existing destination, whatever its indexes', async () => {
      const s = ctx.store
      const old = await seed(
        s,
        'd',
        [remoteBlock('d/0', 1), remoteBlock('d/1', 2), block('d/5', { state: BlockState.Local })],
        5 * 8,
      )
      // Older rows carry high versions: the moved ones must go above them.
      for (let i = 0; i < 4; i++)
        old[0] = (await s.compareAndPutFileBlock(old[0]!, old[0]!.version))!
      const src = await seed(
        s,
        'd/s',
        [block('d/s/0', { state: BlockState.Local, dataSize: 3 })],
        3,
      )
      assert.equal(
        await s.renamePayload('d/s', 'd', { expectedVersions: await versionsOf(s, 'd/s') }),
        true,
      )
      const now = await s.listFileBlocks('d')
      assert.deepEqual(ids(now), ['d/0'])
      assert.deepEqual(content(now[0]!), renamed(src[0]!, 'd'))
      assert.ok(now[0]!.version > old[0]!.version, 'above the replaced row')
      assert.ok(now[0]!.version > src[0]!.version, 'above the source row')
      assert.deepEqual(await s.getPayload('d'), record('d', 3))
      // A "d/s" with rows under "d/s/..." is a different payload than "d": nothing left of it.
      assert.deepEqual(await s.listFileBlocks('d/s'), [])
      // Stale compare-and-sets prepared against either old row lose.
      assert.equal(
        await s.compareAndPutFileBlock({ ...old[0]!, dataSize: 1 }, old[0]!.version),
        undefined,
      )
      assert.equal(
        await s.compareAndPutFileBlock({ ...now[0]!, id: 'd/0', dataSize: 1 }, src[0]!.version),
        undefined,
      )
      assert.equal(
        await s.compareAndPutFileBlock({ ...src[0]!, dataSize: 1 }, src[0]!.version),
        undefined,
      )
      assert.deepEqual(await s.listFileBlocks('d/s'), [])
    })

    h.it('changes nothing when the source rows differ from the expected versions', async () => {
      const s = ctx.store
      const src = await seed(s, 'x', [block('x/0', { state: BlockState.Local }), block('x/1')], 9)
      await seed(s, 'y', [remoteBlock('y/0', 3)], 4)
      const before = await versionsOf(s, 'x')
      const stale = new Map(before)
      stale.set(0, before.get(0)! + 1)
      const missing = new Map([[0, before.get(0)!]])
      const extra = new Map(before).set(7, 1)
      for (const expectedVersions of [stale, missing, extra]) {
        assert.equal(await s.renamePayload('x', 'y', { expectedVersions }), false)
      }
      // A row changed after the caller read the versions (an upload's claim).
      await s.compareAndPutFileBlock({ ...src[0]!, state: BlockState.Syncing }, src[0]!.version)
      assert.equal(await s.renamePayload('x', 'y', { expectedVersions: before }), false)
      assert.deepEqual(ids(await s.listFileBlocks('x')), ['x/0', 'x/1'])
      assert.deepEqual(ids(await s.listFileBlocks('y')), ['y/0'])
      assert.deepEqual(await s.getPayload('y'), record('y', 4))
      assert.deepEqual(await s.getPayload('x'), record('x', 9))
    })

    h.it('changes nothing when the source has no record', async () => {
      const s = ctx.store
      await s.putFileBlock(block('norec/0'))
      await seed(s, 'keep', [remoteBlock('keep/0', 4)], 4)
      const expectedVersions = await versionsOf(s, 'norec')
      assert.equal(await s.renamePayload('norec', 'keep', { expectedVersions }), false)
      assert.equal(await s.renamePayload('absent', 'keep', { expectedVersions: new Map() }), false)
      assert.deepEqual(ids(await s.listFileBlocks('keep')), ['keep/0'])
      assert.deepEqual(await s.getPayload('keep'), record('keep', 4))
    })

    h.it('moves an empty payload (record only) and drops the destination rows', async () => {
      const s = ctx.store
      await s.putPayload(record('empty', 0))
      await seed(s, 'full', [remoteBlock('full/0', 5)], 4)
      assert.equal(await s.renamePayload('empty', 'full', { expectedVersions: new Map() }), true)
      assert.deepEqual(await s.listFileBlocks('full'), [])
      assert.deepEqual(await s.getPayload('full'), record('full', 0))
    })

    h.it('releases a Syncing claim and takes the local paths it is given', async () => {
      const s = ctx.store
      const claimed = remoteBlock('sy/0', 9, { state: BlockState.Syncing, localPath: '/old' })
      await seed(
        s,
        'sy',
        [claimed, block('sy/1', { state: BlockState.Local, localPath: '/l1' })],
        9,
      )
      const expectedVersions = await versionsOf(s, 'sy')
      const localPaths = new Map([[0, '/new/0']])
      assert.equal(await s.renamePayload('sy', 'sz', { expectedVersions, localPaths }), true)
      const [r0, r1] = await s.listFileBlocks('sz')
      assert.equal(r0?.state, BlockState.Local)
      assert.ok(r0?.hash.isZero())
      assert.equal(r0?.blockStoreKey, '')
      assert.equal(r0?.localPath, '/new/0')
      assert.equal(r1?.localPath, '/l1')
    })

    h.it('keeps every moved remote key referenced and drops the replaced ones', async () => {
      const s = ctx.store
      await seed(s, 'gk', [remoteBlock('gk/0', 11)], 1)
      await seed(s, 'gd', [remoteBlock('gd/0', 12), remoteBlock('gd/1', 13)], 1)
      const moving = (await s.getFileBlock('gk/0')).blockStoreKey
      const dropped = (await s.getFileBlock('gd/1')).blockStoreKey
      assert.equal(
        await s.renamePayload('gk', 'gd', { expectedVersions: await versionsOf(s, 'gk') }),
        true,
      )
      const keys = await collect(s.referencedRemoteKeys())
      assert.ok(keys.includes(moving))
      assert.ok(!keys.includes(dropped))
      const lock = await s.tryAcquireGcLock()
      assert.ok(lock)
      try {
        assert.equal(await lock.fenceUnreferenced(moving), false)
        assert.equal(await lock.fenceUnreferenced(dropped), true)
        await lock.unfence(dropped)
      } finally {
        await lock.release()
      }
    })

    h.it('lets exactly one of two concurrent renames of one source win', async () => {
      const s = ctx.store
      await seed(s, 'race', [block('race/0', { state: BlockState.Local })], 1)
      const expectedVersions = await versionsOf(s, 'race')
      const peer = ctx.openPeer === undefined ? undefined : await ctx.openPeer()
      try {
        const results = await Promise.all([
          s.renamePayload('race', 'r1', { expectedVersions }),
          (peer ?? s).renamePayload('race', 'r2', { expectedVersions }),
        ])
        assert.equal(results.filter(Boolean).length, 1)
        const winner = results[0] ? 'r1' : 'r2'
        const loser = results[0] ? 'r2' : 'r1'
        assert.deepEqual(ids(await s.listFileBlocks(winner)), [`${winner}/0`])
        assert.deepEqual(await s.listFileBlocks(loser), [])
        assert.equal(await s.getPayload(loser), undefined)
      } finally {
        await peer?.close()
      }
    })

    h.it('rejects bad arguments with a stable code and changes nothing', async () => {
      const s = ctx.store
      await seed(s, 'bad', [block('bad/0')], 1)
      const expectedVersions = await versionsOf(s, 'bad')
      await rejectsWith(s.renamePayload('bad', 'bad', { expectedVersions }), 'BS_INVALID_ARGUMENT')
      await rejectsWith(
        s.renamePayload('bad', '/abs', { expectedVersions }),
        'BS_INVALID_PAYLOAD_ID',
      )
      await rejectsWith(s.renamePayload('', 'ok', { expectedVersions }), 'BS_INVALID_PAYLOAD_ID')
      await rejectsWith(
        s.renamePayload('bad', 'ok', { expectedVersions: new Map([[0, -1]]) }),
        'BS_INVALID_ARGUMENT',
      )
      assert.deepEqual(ids(await s.listFileBlocks('bad')), ['bad/0'])
      assert.equal(await s.getPayload('ok'), undefined)
    })

    withReopen(h, ctx).it('survives reopen', async () => {
      const s = ctx.store
      await seed(s, 'p1', [remoteBlock('p1/0', 21)], 4)
      await seed(s, 'p2', [remoteBlock('p2/0', 22), remoteBlock('p2/3', 23)], 30)
      assert.equal(
        await s.renamePayload('p1', 'p2', { expectedVersions: await versionsOf(s, 'p1') }),
        true,
      )
      const again = await ctx.reopen!()
      assert.deepEqual(ids(await again.listFileBlocks('p2')), ['p2/0'])
      assert.deepEqual(await again.getPayload('p2'), record('p2', 4))
      assert.equal(await again.getPayload('p1'), undefined)
      assert.deepEqual(await again.listFileBlocks('p1'), [])
    })
  })
}
