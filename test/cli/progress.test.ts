import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Progress } from '../../src/cli/progress.js'

function stream(isTTY: boolean) {
  const writes: string[] = []
  return { isTTY, columns: 100, write: (t: string) => writes.push(t), writes }
}

describe('progress', () => {
  it('draws a bar with percentage, amounts and rate on a TTY, at most 10 times a second', () => {
    let now = 0
    const s = stream(true)
    const p = new Progress(s, 'put x', { total: 4 * 2 ** 20, now: () => now })
    now = 1000
    p.update(2 ** 20)
    now = 1050
    p.update(2 * 2 ** 20) // throttled
    now = 2000
    p.update(2 * 2 ** 20)
    p.finish()
    assert.equal(s.writes.length, 4)
    assert.match(
      s.writes[0]!,
      /^\r\x1b\[2Kput x \[#+-+\] {2}25% 1 MiB \/ 4 MiB {2}1 MiB\/s {2}1\.0s$/,
    )
    assert.match(s.writes[2]!, / 50% 2 MiB \/ 4 MiB/)
    assert.equal(s.writes[3], '\n')
  })

  it('writes nothing at all when the stream is not a terminal', () => {
    const s = stream(false)
    const p = new Progress(s, 'get x', { total: 10 })
    p.update(5)
    p.finish()
    assert.deepEqual(s.writes, [])
    assert.equal(p.enabled, false)
  })

  it('counts without a bar when the total is unknown', () => {
    const p = new Progress(stream(true), 'drain', { unit: 'blocks', now: () => 0 })
    p.update(3)
    assert.match(p.render(2000), /^drain 3 blocks {2}2\.0s$/)
  })
})
