import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { median, ratio } from '../../bench/harness.js'
import { listWorkloads, runBench } from '../../bench/run.js'

describe('bench harness', () => {
  it('computes medians and oriented ratios', () => {
    assert.equal(median([3, 1, 2]), 2)
    assert.equal(median([4, 1, 3, 2]), 2.5)
    assert.throws(() => median([]), RangeError)
    const base = { name: 'x', unit: 'u', baselineName: 'b', value: 50, baseline: 100 }
    assert.equal(ratio({ ...base, higherIsBetter: true }), 0.5)
    assert.equal(ratio({ ...base, higherIsBetter: false }), 2)
    assert.equal(ratio({ ...base, higherIsBetter: true, baseline: undefined }), undefined)
  })

  it('runs the hash workload in quick mode and writes JSON and markdown results', async () => {
    assert.ok((await listWorkloads()).includes('hash'))
    const dir = await mkdtemp(join(tmpdir(), 'bench-results-'))
    try {
      const results = await runBench(['hash'], { quick: true, resultsDir: dir })
      const c = results[0]?.comparisons[0]
      assert.ok(c && c.value > 0 && (c.baseline ?? 0) > 0)
      const json = JSON.parse(await readFile(join(dir, 'latest.json'), 'utf8'))
      assert.equal(json.results[0].workload, 'hash')
      assert.match(await readFile(join(dir, 'latest.md'), 'utf8'), /\| hash \| SHA-256/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('rejects an unknown workload name', async () => {
    await assert.rejects(runBench(['no-such-workload'], { quick: true }), /unknown workload/)
  })
})
