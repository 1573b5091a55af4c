import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LiveSet } from '../../src/gc/live-set.js'

describe('LiveSet', () => {
  it('finds every added key after growing from a small table', () => {
    const set = new LiveSet(16)
    const keys = Array.from({ length: 200_000 }, (_, i) => `blocks/${i % 256}/key-${i}`)
    for (const k of keys) set.add(k)
    for (const k of keys) assert.ok(set.has(k), k)
    assert.equal(set.size, keys.length)
  })

  it('counts a key added twice once', () => {
    const set = new LiveSet()
    set.add('a/block-0')
    set.add('a/block-0')
    assert.equal(set.size, 1)
  })

  it('reports keys never added as absent (no false positives among 200,000 probes)', () => {
    const set = new LiveSet()
    for (let i = 0; i < 100_000; i++) set.add(`live/${i}`)
    let hits = 0
    for (let i = 0; i < 200_000; i++) if (set.has(`dead/${i}`)) hits++
    assert.equal(hits, 0)
    assert.equal(set.has(''), false)
  })

  it('keeps a million keys in at most 32 MiB', () => {
    const set = new LiveSet()
    for (let i = 0; i < 1_000_000; i++) set.add(`blocks/${i.toString(16).padStart(64, '0')}`)
    assert.ok(set.byteLength <= 32 * 1024 * 1024, `${set.byteLength}`)
  })
})
