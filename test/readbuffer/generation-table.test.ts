import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { GenerationTable } from '../../src/readbuffer/generation-table.js'

describe('GenerationTable', () => {
  it('a payload never invalidated has a current generation that stays current', () => {
    const table = new GenerationTable(8)
    const g = table.current('p')
    assert.equal(table.isCurrent('p', g), true)
    assert.equal(table.size, 0)
  })

  it('bump makes earlier tokens of that payload stale and leaves other payloads alone', () => {
    const table = new GenerationTable(8)
    const p = table.current('p')
    const q = table.current('q')
    table.bump('p')
    assert.equal(table.isCurrent('p', p), false)
    assert.equal(table.isCurrent('q', q), true)
  })

  it('bumpAll makes every token stale', () => {
    const table = new GenerationTable(8)
    table.bump('p')
    const p = table.current('p')
    const q = table.current('q')
    table.bumpAll()
    assert.equal(table.isCurrent('p', p), false)
    assert.equal(table.isCurrent('q', q), false)
    assert.equal(table.size, 0)
  })

  it('stays within its limit by resetting, which makes every older token stale', () => {
    const table = new GenerationTable(3)
    const tokens = ['a', 'b', 'c'].map((id) => {
      table.bump(id)
      return [id, table.current(id)] as const
    })
    const quiet = table.current('quiet')
    table.bump('d')
    assert.ok(table.size <= 3)
    for (const [id, g] of tokens) assert.equal(table.isCurrent(id, g), false)
    assert.equal(table.isCurrent('quiet', quiet), false)
    // Re-bumping a known payload at the limit does not reset.
    const e = new GenerationTable(1)
    e.bump('x')
    const other = e.current('y')
    e.bump('x')
    assert.equal(e.isCurrent('y', other), true)
  })
})
