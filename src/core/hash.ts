import { HashSize } from './constants.js'
import { BlockStoreError } from './errors.js'

const HEX = /^[0-9a-fA-F]*$/

/**
 * A SHA-256 content hash (32 bytes). All zeros means "not computed yet".
 * Immutable: the bytes are copied in and out.
 */
export class ContentHash {
  readonly #bytes: Uint8Array

  private constructor(bytes: Uint8Array) {
    this.#bytes = bytes
  }

  /** The all-zero hash ("not computed"). */
  static readonly ZERO: ContentHash = new ContentHash(new Uint8Array(HashSize))

  /**
   * Wraps 32 raw bytes (copied).
   * @throws {BlockStoreError} BS_INVALID_HASH when the length is not 32.
   */
  static fromBytes(bytes: Uint8Array): ContentHash {
    if (bytes.length !== HashSize) {
      throw new BlockStoreError(
        'BS_INVALID_HASH',
        `invalid content hash format: ${bytes.length} bytes, want ${HashSize}`,
      )
    }
    return new ContentHash(Uint8Array.from(bytes))
  }

  /** A copy of the raw bytes. */
  bytes(): Uint8Array {
    return Uint8Array.from(this.#bytes)
  }

  /** True when every byte is zero (the hash was never computed). */
  isZero(): boolean {
    return this.#bytes.every((b) => b === 0)
  }

  /** True when both hashes have the same bytes. */
  equals(other: ContentHash): boolean {
    for (let i = 0; i < HashSize; i++) if (this.#bytes[i] !== other.#bytes[i]) return false
    return true
  }

  /** Lower-case hex, 64 characters. */
  toString(): string {
    let s = ''
    for (const b of this.#bytes) s += b.toString(16).padStart(2, '0')
    return s
  }

  /** JSON form: the hex string. */
  toJSON(): string {
    return this.toString()
  }
}

/**
 * Parses a hex-encoded hash (either case).
 * @throws {BlockStoreError} BS_INVALID_HASH for non-hex text or a length other than 64 digits.
 */
export function parseContentHash(text: string): ContentHash {
  if (!HEX.test(text)) {
    throw new BlockStoreError('BS_INVALID_HASH', `invalid content hash format: not hex`)
  }
  if (text.length !== HashSize * 2) {
    throw new BlockStoreError(
      'BS_INVALID_HASH',
      `invalid content hash format: ${text.length} hex digits, want ${HashSize * 2}`,
    )
  }
  const bytes = new Uint8Array(HashSize)
  for (let i = 0; i < HashSize; i++) bytes[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16)
  return ContentHash.fromBytes(bytes)
}

/**
 * Reads a hash from its JSON form: the hex string, or the legacy array of 32 numbers that
 * v0.10-v0.14 of the Go reference wrote. `null`/`undefined`/`""` give the zero hash.
 * @throws {BlockStoreError} BS_INVALID_HASH for anything else.
 */
export function contentHashFromJSON(value: unknown): ContentHash {
  if (value === null || value === undefined || value === '') return ContentHash.ZERO
  if (typeof value === 'string') return parseContentHash(value)
  if (
    Array.isArray(value) &&
    value.length === HashSize &&
    value.every((n) => Number.isInteger(n) && n >= 0 && n <= 255)
  ) {
    return ContentHash.fromBytes(Uint8Array.from(value as number[]))
  }
  throw new BlockStoreError('BS_INVALID_HASH', 'invalid content hash format: unsupported JSON form')
}
