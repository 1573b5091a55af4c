import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { assertPayloadId, isBlockStoreError, isValidPayloadId } from '../../src/core/index.js'

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
