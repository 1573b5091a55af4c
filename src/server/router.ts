/**
 * Maps a request line onto an endpoint. Payload IDs may contain `/` and any Unicode, so the
 * rule is: every method but POST takes the whole percent-decoded rest of the path after
 * `/v1/payloads/` as the ID; POST takes the LAST path segment as the action and the rest as
 * the ID (`POST /v1/payloads/a/truncate/truncate` truncates the payload `a/truncate`).
 */
import { BlockStoreError } from '../core/errors.js'
import { assertPayloadId } from '../core/payload-id.js'

/** Actions taken with `POST /v1/payloads/{id}/{action}`. */
export const PAYLOAD_ACTIONS = ['truncate', 'flush', 'copy'] as const
/** One payload action. */
export type PayloadAction = (typeof PAYLOAD_ACTIONS)[number]

/** Methods on `/v1/payloads/{id}`. */
export type PayloadMethod = 'GET' | 'HEAD' | 'PUT' | 'PATCH' | 'DELETE'

/** A matched endpoint. */
export type Route =
  | { readonly kind: 'payload'; readonly method: PayloadMethod; readonly id: string }
  | { readonly kind: 'action'; readonly action: PayloadAction; readonly id: string }
  | {
      readonly kind: 'list' | 'stats' | 'health' | 'flush' | 'drain' | 'gc' | 'evict' | 'metrics'
    }

/** A matched endpoint and its query. */
export interface RouteMatch {
  readonly route: Route
  readonly query: URLSearchParams
}

const PAYLOADS = '/v1/payloads/'

const FIXED: Readonly<Record<string, readonly [string, Route['kind']]>> = {
  '/v1/payloads': ['GET', 'list'],
  '/v1/stats': ['GET', 'stats'],
  '/v1/health': ['GET', 'health'],
  '/v1/flush': ['POST', 'flush'],
  '/v1/drain': ['POST', 'drain'],
  '/v1/gc': ['POST', 'gc'],
  '/v1/evict': ['POST', 'evict'],
  '/metrics': ['GET', 'metrics'],
}

function notAllowed(method: string, path: string, allow: string): BlockStoreError {
  const err = new BlockStoreError('BS_NOT_SUPPORTED', `${method} is not supported on ${path}`)
  return Object.assign(err, { allow })
}

/** Decodes a raw path part into a payload ID and validates it. */
export function decodePayloadId(raw: string): string {
  let id: string
  try {
    id = decodeURIComponent(raw)
  } catch {
    throw new BlockStoreError('BS_INVALID_PAYLOAD_ID', 'payload ID is not valid percent-encoding')
  }
  assertPayloadId(id)
  return id
}

function formDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '))
  } catch {
    throw new BlockStoreError('BS_INVALID_ARGUMENT', 'query is not valid percent-encoded UTF-8')
  }
}

/**
 * Parses a form-encoded query strictly. `URLSearchParams` turns malformed percent-encoding
 * into U+FFFD, so `?to=%FF` and `?to=%FE` would both name the payload "\uFFFD".
 * @throws {BlockStoreError} BS_INVALID_ARGUMENT on malformed percent-encoding or UTF-8.
 */
export function parseQuery(raw: string): URLSearchParams {
  const query = new URLSearchParams()
  for (const pair of raw.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const name = eq < 0 ? pair : pair.slice(0, eq)
    query.append(formDecode(name), eq < 0 ? '' : formDecode(pair.slice(eq + 1)))
  }
  return query
}

/**
 * Matches a request. HEAD is accepted wherever GET is.
 * @throws {BlockStoreError} BS_CONTENT_NOT_FOUND (no such endpoint), BS_NOT_SUPPORTED (method
 * not allowed; the error carries an `allow` property), BS_INVALID_PAYLOAD_ID,
 * BS_INVALID_ARGUMENT (malformed query).
 */
export function matchRoute(method: string, url: string): RouteMatch {
  const q = url.indexOf('?')
  const path = q < 0 ? url : url.slice(0, q)
  const query = parseQuery(q < 0 ? '' : url.slice(q + 1))
  const fixed = FIXED[path === '/v1/payloads/' ? '/v1/payloads' : path]
  if (fixed !== undefined) {
    const [allowed, kind] = fixed
    const ok = method === allowed || (allowed === 'GET' && method === 'HEAD')
    if (!ok) throw notAllowed(method, path, allowed === 'GET' ? 'GET, HEAD' : allowed)
    return { route: { kind } as Route, query }
  }
  if (!path.startsWith(PAYLOADS)) {
    throw new BlockStoreError('BS_CONTENT_NOT_FOUND', `no endpoint ${path}`)
  }
  const rest = path.slice(PAYLOADS.length)
  if (method === 'POST') {
    const slash = rest.lastIndexOf('/')
    const action = rest.slice(slash + 1) as PayloadAction
    if (slash < 0 || !PAYLOAD_ACTIONS.includes(action)) {
      throw new BlockStoreError(
        'BS_CONTENT_NOT_FOUND',
        `no payload action "${rest.slice(slash + 1)}"; POST takes /v1/payloads/{id}/{${PAYLOAD_ACTIONS.join('|')}}`,
      )
    }
    return { route: { kind: 'action', action, id: decodePayloadId(rest.slice(0, slash)) }, query }
  }
  if (!['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE'].includes(method)) {
    throw notAllowed(method, path, 'GET, HEAD, PUT, PATCH, DELETE, POST')
  }
  return {
    route: { kind: 'payload', method: method as PayloadMethod, id: decodePayloadId(rest) },
    query,
  }
}
