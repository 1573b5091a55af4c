/**
 * The `remotetest` cases of the Go package this contract follows, tightened: exact error codes, counts, order.
 */
import assert from 'node:assert/strict'
import { bytes, collect, listKeys, rejectsCode } from './remote-store-assert.js'
import type { RemoteSuiteContext } from './remote-store-context.js'

const HELLO = 'hello world'

/** Registers the `remotetest` cases of the contract's methods and their close relatives. */
export function registerBasicCases(ctx: RemoteSuiteContext): void {
  const { it } = ctx.harness

  it('readBlock returns the bytes writeBlock stored', async () => {
    const s = ctx.store()
    await s.writeBlock('test/block-0', bytes(HELLO))
    assert.deepEqual(await s.readBlock('test/block-0'), bytes(HELLO))
  })

  it('writeBlock replaces an existing object', async () => {
    const s = ctx.store()
    await s.writeBlock('test/block-0', bytes('first version, longer'))
    await s.writeBlock('test/block-0', bytes('second'))
    assert.deepEqual(await s.readBlock('test/block-0'), bytes('second'))
  })

  it('readBlock rejects BS_BLOCK_NOT_FOUND for a missing key', async () => {
    await rejectsCode(ctx.store().readBlock('nonexistent/block-0'), 'BS_BLOCK_NOT_FOUND')
  })

  it('readBlockRange returns the slice and clamps the end to the object size', async () => {
    const s = ctx.store()
    await s.writeBlock('test/block-0', bytes(HELLO))
    assert.deepEqual(await s.readBlockRange('test/block-0', 0, 5), bytes('hello'))
    assert.deepEqual(await s.readBlockRange('test/block-0', 6, 5), bytes('world'))
    assert.deepEqual(await s.readBlockRange('test/block-0', 6, 100), bytes('world'))
    assert.deepEqual(await s.readBlockRange('test/block-0', 10, 1), bytes('d'))
  })

  it('readBlockRange rejects BS_BLOCK_NOT_FOUND for a missing key', async () => {
    await rejectsCode(ctx.store().readBlockRange('missing/block-0', 0, 1), 'BS_BLOCK_NOT_FOUND')
  })

  it('deleteBlock removes the object and deleting a missing key succeeds', async () => {
    const s = ctx.store()
    await s.writeBlock('test/block-0', bytes(HELLO))
    await s.deleteBlock('test/block-0')
    await rejectsCode(s.readBlock('test/block-0'), 'BS_BLOCK_NOT_FOUND')
    assert.equal(await s.statBlock('test/block-0'), undefined)
    await s.deleteBlock('test/block-0')
    await s.deleteBlock('never-written/block-7')
  })

  it('listObjects returns the matching keys ascending and "" matches everything', async () => {
    const s = ctx.store()
    for (const k of ['b/block-0', 'a/block-1', 'a/block-0']) await s.writeBlock(k, bytes(k))
    assert.deepEqual(await listKeys(s, 'a/'), ['a/block-0', 'a/block-1'])
    assert.deepEqual(await listKeys(s, ''), ['a/block-0', 'a/block-1', 'b/block-0'])
    assert.deepEqual(await listKeys(s, 'c/'), [])
  })

  it('healthcheck of a fresh store is healthy and stamped', async () => {
    const before = Date.now()
    const report = await ctx.store().healthcheck()
    assert.equal(report.status, 'healthy', report.message)
    assert.ok(report.checkedAt >= before && report.checkedAt <= Date.now() + 1)
    assert.ok(report.latencyMs >= 0)
  })

  it('healthcheck with an aborted signal reports unknown', async () => {
    const report = await ctx.store().healthcheck({ signal: AbortSignal.abort() })
    assert.equal(report.status, 'unknown')
    assert.ok(report.checkedAt > 0)
  })

  it('after close every operation rejects BS_STORE_CLOSED', async () => {
    const s = ctx.store()
    await s.writeBlock('test/block-0', bytes(HELLO))
    await s.close()
    await s.close()
    await rejectsCode(s.writeBlock('test/block-1', bytes(HELLO)), 'BS_STORE_CLOSED')
    await rejectsCode(s.readBlock('test/block-0'), 'BS_STORE_CLOSED')
    await rejectsCode(s.readBlockRange('test/block-0', 0, 1), 'BS_STORE_CLOSED')
    await rejectsCode(s.statBlock('test/block-0'), 'BS_STORE_CLOSED')
    await rejectsCode(s.deleteBlock('test/block-0'), 'BS_STORE_CLOSED')
    await rejectsCode(collect(s.listObjects('test/')), 'BS_STORE_CLOSED')
    assert.equal((await s.healthcheck()).status, 'unhealthy')
  })

  it('mutating the input after writeBlock does not change the stored object', async () => {
    const s = ctx.store()
    const data = bytes(HELLO)
    await s.writeBlock('test/block-0', data)
    data.fill(0x58)
    assert.deepEqual(await s.readBlock('test/block-0'), bytes(HELLO))
  })

  it('mutating a returned buffer does not change the stored object', async () => {
    const s = ctx.store()
    await s.writeBlock('test/block-0', bytes(HELLO))
    const first = await s.readBlock('test/block-0')
    first.fill(0x58)
    const part = await s.readBlockRange('test/block-0', 0, 5)
    part.fill(0x59)
    assert.deepEqual(await s.readBlock('test/block-0'), bytes(HELLO))
  })

  it('two stores from create() share no objects, both ways', async () => {
    const a = ctx.store()
    const b = await ctx.another()
    await a.writeBlock('shared/block-0', bytes('from a'))
    await b.writeBlock('other/block-0', bytes('from b'))
    await rejectsCode(b.readBlock('shared/block-0'), 'BS_BLOCK_NOT_FOUND')
    await rejectsCode(a.readBlock('other/block-0'), 'BS_BLOCK_NOT_FOUND')
    assert.deepEqual(await listKeys(a, ''), ['shared/block-0'])
    assert.deepEqual(await listKeys(b, ''), ['other/block-0'])
    await b.deleteBlock('shared/block-0')
    assert.deepEqual(await a.readBlock('shared/block-0'), bytes('from a'))
  })
}
