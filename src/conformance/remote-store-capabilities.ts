/**
 * Cases of what a remote store declares in `capabilities`: each runs when the store declares
 * the capability and is reported skipped when it does not.
 */
import assert from 'node:assert/strict'
import { declared, requiring } from './harness.js'
import { bytes, listKeys, pattern } from './remote-store-assert.js'
import type { RemoteSuiteContext } from './remote-store-context.js'

/** Registers the capability cases. */
export function registerCapabilityCases(ctx: RemoteSuiteContext): void {
  const gate = (flag: string, means?: { name: string; given: boolean }) =>
    requiring(ctx.harness, () => declared('', ctx.store().capabilities, flag, means))

  gate('persistent', { name: 'reopen', given: ctx.reopen !== undefined }).it(
    'objects survive close and reopen (capabilities.persistent)',
    async () => {
      const s = ctx.store()
      await s.writeBlock('keep/block-0', pattern(5000, 71))
      await s.writeBlock('keep/block-1', bytes('second'))
      await s.writeBlock('gone/block-0', bytes('deleted'))
      await s.deleteBlock('gone/block-0')
      const again = await ctx.reopen!()
      assert.deepEqual(await again.readBlock('keep/block-0'), pattern(5000, 71))
      assert.deepEqual(await again.readBlockRange('keep/block-1', 1, 3), bytes('eco'))
      assert.equal(await again.statBlock('gone/block-0'), undefined)
      assert.deepEqual(await listKeys(again, ''), ['keep/block-0', 'keep/block-1'])
    },
  )

  gate('rangeReads').it(
    'readBlockRange receives only about the range (capabilities.rangeReads)',
    async () => {
      const s = ctx.store()
      const data = pattern(1 << 20, 72)
      await s.writeBlock('ranged/block-0', data)
      const before = s.stats().bytesDownloaded
      const got = await s.readBlockRange('ranged/block-0', 300_000, 100)
      const received = s.stats().bytesDownloaded - before
      assert.deepEqual(got, data.subarray(300_000, 300_100))
      // The engine reads small ranges of cold blocks only from stores that declare this: a
      // store that fetches the whole object and slices it must not.
      assert.ok(received <= 64 * 1024, `a 100-byte range received ${received} bytes`)
    },
  )
}
