import { BlockStoreError } from './errors.js'

/** How synced blocks are retained on local disk. */
export const RetentionPolicy = {
  /** Keep local copies indefinitely (no eviction). */
  Pin: 'pin',
  /** Evict local copies not accessed for a time-to-live. */
  TTL: 'ttl',
  /** Evict least-recently-used local copies when space is needed (default). */
  LRU: 'lru',
} as const

/** One of `"pin"`, `"ttl"`, `"lru"`. */
export type RetentionPolicy = (typeof RetentionPolicy)[keyof typeof RetentionPolicy]

const POLICIES: readonly string[] = Object.values(RetentionPolicy)

/** True only for the three exact policy strings (the empty string is not valid). */
export function isValidRetentionPolicy(value: unknown): value is RetentionPolicy {
  return typeof value === 'string' && POLICIES.includes(value)
}

/**
 * Parses a policy: trimmed and case-insensitive; blank input means `"lru"` (the default).
 * @throws {BlockStoreError} BS_INVALID_CONFIG for anything else.
 */
export function parseRetentionPolicy(text: string): RetentionPolicy {
  const trimmed = text.trim()
  if (trimmed === '') return RetentionPolicy.LRU
  const lower = trimmed.toLowerCase()
  if (isValidRetentionPolicy(lower)) return lower
  throw new BlockStoreError(
    'BS_INVALID_CONFIG',
    `invalid retention policy "${trimmed}": must be one of pin, ttl, lru`,
  )
}

/**
 * Checks a policy and TTL together: `ttl` needs a positive TTL; `pin` and `lru` accept any.
 * @throws {BlockStoreError} BS_INVALID_CONFIG when invalid.
 */
export function validateRetentionPolicy(policy: string, ttlMs: number): void {
  if (!isValidRetentionPolicy(policy)) {
    throw new BlockStoreError(
      'BS_INVALID_CONFIG',
      `invalid retention policy "${policy}": must be one of pin, ttl, lru`,
    )
  }
  if (policy === RetentionPolicy.TTL && !(ttlMs > 0)) {
    throw new BlockStoreError(
      'BS_INVALID_CONFIG',
      `retention policy "ttl" requires a positive TTL, got ${ttlMs} ms`,
    )
  }
}
