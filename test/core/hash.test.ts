import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import {
  ContentHash,
  contentHashFromJSON,
  HashSize,
  hashBlock,
  isBlockStoreError,
  parseContentHash,
} from '../../src/index.js'

const sha = (text: string): Uint8Array => createHash('sha256').update(text).digest()
const isInvalidHash = (e: unknown): boolean => isBlockStoreError(e, 'BS_INVALID_HASH')

describe('ContentHash', () => {
  it('prints 64 lower-case hex digits and parses them back', () => {
    const h = ContentHash.fromBytes(sha('hello'))
    assert.equal(h.toString(), '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824')
    assert.ok(parseContentHash(h.toString()).equals(h))
    assert.ok(parseContentHash(h.toString().toUpperCase()).equals(h))
  })

  it('knows the zero hash and only the zero hash is zero', () => {
    assert.ok(ContentHash.ZERO.isZero())
    assert.equal(ContentHash.ZERO.toString(), '0'.repeat(64))
    assert.ok(!ContentHash.fromBytes(sha('x')).isZero())
    const almost = new Uint8Array(HashSize)
    almost[31] = 1
    assert.ok(!ContentHash.fromBytes(almost).isZero())
  })

  it('copies bytes in and out so callers cannot mutate it', () => {
    const raw = sha('a')
    const h = ContentHash.fromBytes(raw)
    raw[0] = raw[0]! ^ 0xff
    assert.notEqual(h.bytes()[0], raw[0])
    const out = h.bytes()
    out[1] = out[1]! ^ 0xff
    assert.notEqual(h.bytes()[1], out[1])
  })

  it('rejects non-hex text with BS_INVALID_HASH', () => {
    assert.throws(() => parseContentHash('zz'), isInvalidHash)
    assert.throws(() => parseContentHash(`${'0'.repeat(63)}g`), isInvalidHash)
  })

  it('rejects a wrong length with BS_INVALID_HASH', () => {
    assert.throws(() => parseContentHash('abcd'), isInvalidHash)
    assert.throws(() => parseContentHash(''), isInvalidHash)
    assert.throws(() => parseContentHash('0'.repeat(66)), isInvalidHash)
    assert.throws(() => ContentHash.fromBytes(new Uint8Array(31)), isInvalidHash)
  })

  it('serialises to JSON as hex and reads hex or the legacy 32-number array', () => {
    const h = ContentHash.fromBytes(sha('json'))
    const json = JSON.stringify({ hash: h })
    assert.equal(json, `{"hash":"${h.toString()}"}`)
    assert.ok(contentHashFromJSON(JSON.parse(json).hash).equals(h))
    assert.ok(contentHashFromJSON(Array.from(h.bytes())).equals(h))
    assert.ok(contentHashFromJSON(null).isZero())
    assert.ok(contentHashFromJSON('').isZero())
  })

  it('rejects malformed legacy arrays', () => {
    assert.throws(() => contentHashFromJSON(new Array(31).fill(0)), isInvalidHash)
    assert.throws(() => contentHashFromJSON(new Array(32).fill(256)), isInvalidHash)
    assert.throws(() => contentHashFromJSON(new Array(32).fill(1.5)), isInvalidHash)
    assert.throws(() => contentHashFromJSON({}), isInvalidHash)
  })

  it('hashBlock is the SHA-256 of the bytes', () => {
    const data = new TextEncoder().encode('hello')
    assert.equal(hashBlock(data).toString(), ContentHash.fromBytes(sha('hello')).toString())
  })
})
