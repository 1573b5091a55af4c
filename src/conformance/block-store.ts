/**
 * `describeBlockStore`: the engine's conformance suite. It runs the I/O semantics cases on
 * any configuration; the remote cases (upload, eviction, cold reads, dedup, integrity,
 * offline mode) when the fixture has a remote, reported skipped otherwise; and the restart
 * cases when the metadata store declares `capabilities.persistent`, reported skipped
 * otherwise.
 */
import assert from 'node:assert/strict'
import { BlockSize } from '../core/constants.js'
import { describeBasics } from './block-store/basic.js'
import {
  type BlockStoreFixture,
  type BlockStoreSuiteContext,
  type BlockStoreSuiteOptions,
  pattern,
  readAll,
  withRemote,
  withRestart,
} from './block-store/fixture.js'
import { describeFlushMany } from './block-store/flush-many.js'
import { describeRemote } from './block-store/remote.js'
import { describeRename, describeRenameRemote } from './block-store/rename.js'
import { nodeTestHarness } from './harness.js'

export type {
  BlockStoreFixture,
  BlockStoreSuiteOptions,
  ReopenOptions,
} from './block-store/fixture.js'
export { pattern, readAll, waitFor } from './block-store/fixture.js'

/**
 * Registers the BlockStore conformance suite: a fresh engine from `create` for every case,
 * closed after it, then `destroy`.
 * @example
 * describeBlockStore({
 *   name: 'memory',
 *   create: async () => {
 *     const metadata = await MemoryMetadataStore.open()
 *     const remote = new FaultInjectingRemoteStore(new MemoryRemoteStore())
 *     const store = await openBlockStore({ local: { kind: 'memory' }, remote, metadata })
 *     return { store, metadata, remote }
 *   },
 * })
 */
export function describeBlockStore<F extends BlockStoreFixture>(
  options: BlockStoreSuiteOptions<F>,
): void {
  const h = options.harness ?? nodeTestHarness
  let fixture: F | undefined
  const fx = (): F => {
    if (fixture === undefined) throw new Error('no fixture: create() failed')
    return fixture
  }
  const reopenOf = (f: F): BlockStoreSuiteOptions<F>['reopen'] =>
    options.reopen ??
    (f.reopen === undefined ? undefined : (old, o) => old.reopen!(o) as Promise<F>)
  const ctx: BlockStoreSuiteContext = {
    fixture: fx,
    canReopen: () => reopenOf(fx()) !== undefined,
    reopen: async (o) => {
      const f = fx()
      const reopen = reopenOf(f)
      if (reopen === undefined) throw new Error('the suite was given no reopen')
      // When the reopen fails, the old fixture is the one closed and destroyed.
      fixture = await reopen(f, o)
      return fixture
    },
  }
  h.describe(`BlockStore conformance: ${options.name}`, () => {
    h.beforeEach(async () => {
      fixture = await options.create()
    })
    h.afterEach(async () => {
      const f = fixture
      fixture = undefined
      if (f === undefined) return
      await f.store.close()
      await options.destroy?.(f)
    })
    describeBasics(h, ctx)
    describeRename(h, ctx)
    describeFlushMany(h, ctx)
    h.it('rejects every call after close with BS_STORE_CLOSED', async () => {
      const { store } = fx()
      await store.writeAt('p', pattern(10), 0)
      await store.close()
      await store.close()
      for (const call of [
        () => store.readAt('p', new Uint8Array(1), 0),
        () => store.writeAt('p', pattern(1), 0),
        () => store.flush('p'),
        () => store.flushMany(['p']),
        () => store.flushAll(),
        () => store.getSize('p'),
        () => store.stats(),
      ]) {
        await assert.rejects(
          call(),
          (e: unknown) => (e as { code?: string }).code === 'BS_STORE_CLOSED',
        )
      }
    })
    h.describe('with a remote store', () => {
      // A local-only configuration reports these cases skipped, one by one.
      const hr = withRemote(h, ctx)
      describeRemote(hr, ctx)
      describeRenameRemote(hr, ctx)
    })
    withRestart(h, ctx, true).it(
      'survives close, loss of the local directory and reopen (restart)',
      async () => {
        const f = fx()
        const payloads = new Map<string, Uint8Array>([
          ['r/a', pattern(BlockSize + 3, 1)],
          ['r/b', pattern(10, 2)],
          ['r/c', new Uint8Array(0)],
        ])
        for (const [id, data] of payloads) {
          await f.store.truncate(id, 0)
          await f.store.writeAt(id, data, 0)
          await f.store.flush(id)
        }
        assert.deepEqual((await f.store.drainAllUploads()).failed, [])
        const again = await ctx.reopen({ wipeLocal: true })
        for (const [id, data] of payloads) {
          assert.ok(await again.store.exists(id), id)
          assert.equal(await again.store.getSize(id), data.length)
          assert.deepEqual(await readAll(again.store, id), data)
        }
      },
    )
  })
}
