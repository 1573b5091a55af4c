import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { assertPayloadId, isBlockStoreError, isValidPayloadId } from '../../src/core/index.js'
import { payloadIdProblem } from '../../src/core/payload-id.js'

describe('payload IDs', () => {
  const valid = [
    'a',
    'export/docs/report.pdf',
    'ünïcödé/файл/文件.txt',
    'emoji-😀',
    'with space/and+plus%and%25',
    'x'.repeat(1024),
    'é'.repeat(512), // 1024 UTF-8 bytes
    'a/block-3/b',
    '...',
    'a/.hidden',
  ]
  for (const id of valid) {
    it(`accepts ${JSON.stringify(id.slice(0, 40))}`, () => {
      assert.ok(isValidPayloadId(id))
      assertPayloadId(id)
    })
  }

  const invalid: [string, unknown][] = [
    ['the empty string', ''],
    ['a leading slash', '/etc/passwd'],
    ['a trailing slash', 'a/'],
    ['an empty segment', 'a//b'],
    ['a dot segment', 'a/./b'],
    ['a dot-dot segment', '../x'],
    ['a dot-dot segment inside', 'a/../../b'],
    ['a lone dot', '.'],
    ['NUL', 'a\0b'],
    ['1025 ASCII bytes', 'x'.repeat(1025)],
    ['1026 UTF-8 bytes from 513 two-byte characters', 'é'.repeat(513)],
    ['a lone surrogate', 'a\uD800b'],
    ['a non-string', 42],
  ]
  for (const [what, id] of invalid) {
    it(`rejects ${what} with BS_INVALID_PAYLOAD_ID`, () => {
      assert.ok(!isValidPayloadId(id))
      assert.throws(
        () => assertPayloadId(id),
        (e: unknown) => isBlockStoreError(e, 'BS_INVALID_PAYLOAD_ID'),
      )
    })
  }
})

/** The rules as first written (every ID encoded, split on "/"): the fast checks must agree. */
function referenceProblem(id: string): string | undefined {
  if (id.length === 0) return 'empty'
  if (id.includes('\0')) return 'nul'
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(id)) return 'u'
  if (new TextEncoder().encode(id).length > 1024) return 'long'
  if (id.startsWith('/')) return 'slash'
  for (const segment of id.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') return `segment ${segment}`
  }
  return undefined
}

describe('payloadIdProblem against the plain rules', () => {
  it('agrees on 20,000 random IDs, long and short, with every kind of character', () => {
    // Pieces chosen to hit each rule and its edges: separators, dots, 1- to 4-byte characters.
    const pieces = ['/', '.', '..', 'a', 'é', '€', '😀', '\uD800', '\uDC00', '\0', 'x'.repeat(300)]
    let seed = 7
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0
      return seed % n
    }
    for (let i = 0; i < 20_000; i++) {
      const parts: string[] = []
      const count = 1 + rand(i % 10 === 0 ? 400 : 8)
      for (let j = 0; j < count; j++) parts.push(pieces[rand(pieces.length)] ?? 'a')
      const id = parts.join('')
      const expected = referenceProblem(id)
      const got = payloadIdProblem(id)
      assert.equal(got === undefined, expected === undefined, `${JSON.stringify(id)}: ${got}`)
      if (expected?.startsWith('segment ') === true) {
        const segment = expected.slice('segment '.length)
        assert.match(got ?? '', segment === '' ? /empty path segment/ : /segment/, id)
        if (segment !== '') assert.ok(got?.includes(`"${segment}"`), `${id}: ${got}`)
      }
      if (expected === 'long') assert.match(got ?? '', /bytes long/)
    }
  })

  it('counts UTF-8 bytes exactly at the limit', () => {
    assert.equal(payloadIdProblem('😀'.repeat(256)), undefined)
    assert.match(payloadIdProblem(`😀`.repeat(256) + 'a') ?? '', /1025 bytes long/)
    assert.equal(payloadIdProblem('€'.repeat(341) + 'a'), undefined)
    assert.match(payloadIdProblem('€'.repeat(342)) ?? '', /1026 bytes long/)
  })
})
