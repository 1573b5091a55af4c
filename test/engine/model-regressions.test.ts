/**
 * Sequences the engine model test once found failing, shrunk and kept so they stay fixed
 * whatever seed the random run draws. Each runs on the configuration it failed on.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Op } from './model/ops.js'
import { runModel } from './model/runner.js'

describe('engine model regressions', () => {
  it('an upload claimed before a delete cannot commit onto the row re-created at the same ID (MODEL_SEED=452454242)', async () => {
    // The upload of m/a/0 claims the row and hashes its bytes; m/a is deleted and written
    // again, and the new row goes through as many versions as the old one had when claimed.
    // Were versions to restart after a delete, the old upload's compare-and-set would match
    // the new row and mark it Remote with the old bytes' hash: the copy then reads zeros.
    const ops: Op[] = [
      { k: 'write', pid: 'm/a', offset: 8388577, length: 431, seed: 535102187 },
      { k: 'outage', down: true },
      { k: 'outage', down: false },
      { k: 'write', pid: 'm/c', offset: 4194284, length: 2094, seed: 1039285123 },
      { k: 'copy', src: 'm/c', dst: 'm/b' },
      { k: 'flush', pid: 'm/b' },
      { k: 'delete', pid: 'm/a' },
      { k: 'write', pid: 'm/a', offset: 8388597, length: 2657, seed: 1239530487 },
      { k: 'write', pid: 'm/a', offset: 4142, length: 1644, seed: 1180601582 },
      { k: 'flush', pid: 'm/c' },
      { k: 'write', pid: 'm/c', offset: 4146, length: 2829, seed: 2128384576 },
      { k: 'copy', src: 'm/a', dst: 'm/b' },
    ]
    const failure = await runModel('memory', ops)
    assert.equal(failure, undefined, failure?.error.stack)
  })
})
