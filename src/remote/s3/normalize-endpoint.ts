/**
 * Endpoint normalisation of the S3 store, as in the Go reference: a bare host gets `https://`.
 */

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/

/**
 * Keeps `endpoint` when it starts with a valid RFC 3986 scheme followed by `://`; otherwise
 * prefixes `https://`. The empty string stays empty (no endpoint: AWS itself).
 *
 * @example
 * normalizeEndpoint('s3.cubbit.eu') // 'https://s3.cubbit.eu'
 */
export function normalizeEndpoint(endpoint: string): string {
  if (endpoint === '') return ''
  const at = endpoint.indexOf('://')
  if (at > 0 && SCHEME.test(endpoint.slice(0, at))) return endpoint
  return `https://${endpoint}`
}
