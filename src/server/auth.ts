/**
 * Bearer-token authentication. Binding beyond loopback without a token is impossible: a
 * token is generated instead. Comparison is in constant time over SHA-256 digests, so
 * neither the token's content nor its length leaks through timing.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { isIP } from 'node:net'

/** True for `localhost`, 127.0.0.0/8, `::1` and IPv4-mapped loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  if (h === 'localhost') return true
  if (isIP(h) === 4) return h.startsWith('127.')
  if (isIP(h) === 6) return h === '::1' || /^(0:){5}ffff:127\./.test(h) || /^::ffff:127\./.test(h)
  return false
}

/** The token a server runs with and whether it was generated. */
export interface TokenDecision {
  /** `undefined`: no authentication (loopback only). */
  readonly token?: string | undefined
  /** True when generated here (it must then be shown once to the operator). */
  readonly generated: boolean
}

/**
 * The token for a bind address: the configured one if any; else a new random token when
 * `host` is not loopback; else none.
 */
export function decideToken(host: string, configured: string | undefined): TokenDecision {
  if (configured !== undefined && configured !== '') return { token: configured, generated: false }
  if (isLoopbackHost(host)) return { generated: false }
  return { token: randomBytes(32).toString('base64url'), generated: true }
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest()

/** Checks `Authorization: Bearer <token>` headers in constant time. */
export class BearerAuth {
  readonly #expected: Buffer

  constructor(token: string) {
    this.#expected = digest(token)
  }

  /** True when the header carries the token. */
  check(authorization: string | undefined): boolean {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '')
    // Always hash and compare, even without a token, so a missing header costs the same.
    const given = digest(match?.[1] ?? '')
    return timingSafeEqual(given, this.#expected) && match !== null
  }
}
