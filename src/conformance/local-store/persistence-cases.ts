/**
 * Persistence, for a store that declares `capabilities.persistent`: flushed payloads, their
 * sizes and rows survive close and reopen, and a delete stays deleted.
 */
import assert from 'node:assert/strict'
import { BlockState } from '../../core/block.js'
import { BlockSize } from '../../core/constants.js'
import { declared, type Harness } from '../harness.js'
import type { WithFixture } from './fixture.js'
import { pattern, readLocal, row } from './fixture.js'

/** Registers the persistence cases. */
export function registerPersistenceCases(h: Harness, withFixture: WithFixture): void {
  const persistent = (
    f: { store: { capabilities: object } },
    canReopen: boolean,
  ): string | undefined =>
    declared('', f.store.capabilities, 'persistent', { name: 'reopen', given: canReopen })

  h.it(
    'flushed payloads, their sizes and rows survive close and reopen; deletes stay deleted',
    withFixture(
      async (f, _remote, session) => {
        const big = pattern(BlockSize + 4096, 61)
        const small = pattern(100, 62)
        await f.store.writeAt('keep/big', big, 0)
        await f.store.writeAt('keep/small', small, 0)
        await f.store.writeAt('gone', pattern(10, 63), 0)
        for (const id of ['keep/big', 'keep/small', 'gone']) await f.store.flush(id)
        await f.store.delete('gone')
        const again = await session.reopen()
        assert.deepEqual(await readLocal(again.store, 'keep/big', 0, big.length), big)
        assert.deepEqual(await readLocal(again.store, 'keep/small', 0, small.length), small)
        assert.equal(await again.store.getFileSize('keep/big'), big.length)
        assert.equal(await again.store.getFileSize('gone'), undefined)
        for (const idx of [0, 1]) {
          assert.equal((await row(again, 'keep/big', idx)).state, BlockState.Local)
        }
      },
      false,
      persistent,
    ),
  )
}
