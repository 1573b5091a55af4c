/**
 * Classification of S3 SDK errors: which BlockStoreError code, and whether a retry may help
 * (5xx, 429, SlowDown, timeouts and network failures; never another 4xx).
 */
import { BlockStoreError, type ErrorCode, isBlockStoreError } from '../../core/errors.js'

/** What the retry loop needs to know about one failed attempt. */
export interface ClassifiedError {
  readonly error: BlockStoreError
  readonly retryable: boolean
}

/** Context of a failed S3 request. */
export interface S3ErrorContext {
  readonly op: string
  readonly bucket: string
  /** Key as the caller gave it (without the store prefix), when there is one. */
  readonly key?: string | undefined
}

interface SdkErrorShape {
  readonly name?: string
  readonly message?: string
  readonly code?: string
  readonly Code?: string
  readonly $metadata?: { readonly httpStatusCode?: number }
}

const THROTTLING = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequests',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestTimeout',
  'InternalError',
  'ServiceUnavailable',
])
const DENIED = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
])
const BAD_ENDPOINT = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ERR_INVALID_URL', 'CERT_HAS_EXPIRED'])

/** Maps one failed attempt to a code; `timedOut` is true when the attempt's own timer fired. */
export function classifyS3Error(
  err: unknown,
  ctx: S3ErrorContext,
  timedOut: boolean,
): ClassifiedError {
  if (isBlockStoreError(err)) return { error: err, retryable: err.transient }
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorShape
  const status = e.$metadata?.httpStatusCode
  const name = e.Code ?? e.name ?? 'Error'
  const detail = `${name}${status === undefined ? '' : ` (HTTP ${status})`}: ${e.message ?? String(err)}`
  const make = (code: ErrorCode, message: string, retryable: boolean): ClassifiedError => ({
    error: new BlockStoreError(code, message, {
      cause: err,
      op: ctx.op,
      key: ctx.key,
      backend: 's3',
    }),
    retryable,
  })
  const where = ctx.key === undefined ? `bucket "${ctx.bucket}"` : `"${ctx.key}"`

  if (timedOut || name === 'TimeoutError') {
    return make('BS_UNAVAILABLE', `s3 ${ctx.op} ${where} timed out: ${detail}`, true)
  }
  if (name === 'NoSuchBucket') {
    return make('BS_INVALID_CONFIG', `s3 bucket "${ctx.bucket}" does not exist: ${detail}`, false)
  }
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
    return make('BS_BLOCK_NOT_FOUND', `s3 ${ctx.op}: no object ${where}`, false)
  }
  if (DENIED.has(name) || status === 403) {
    return make('BS_ACCESS_DENIED', `s3 ${ctx.op} ${where} refused: ${detail}`, false)
  }
  if (name === 'InvalidRange' || status === 416) {
    return make('BS_INVALID_OFFSET', `s3 ${ctx.op} ${where}: range not satisfiable`, false)
  }
  if (name === 'CredentialsProviderError') {
    return make('BS_INVALID_CONFIG', `no S3 credentials resolved: ${detail}`, false)
  }
  if (status === 301 || name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed') {
    return make('BS_INVALID_CONFIG', `s3 ${ctx.op}: wrong region or endpoint: ${detail}`, false)
  }
  if (status === 429 || (status !== undefined && status >= 500) || THROTTLING.has(name)) {
    return make('BS_UNAVAILABLE', `s3 ${ctx.op} ${where} failed: ${detail}`, true)
  }
  if (status === undefined) {
    const sysCode = e.code ?? ''
    if (BAD_ENDPOINT.has(sysCode)) {
      return make('BS_INVALID_CONFIG', `s3 endpoint unreachable: ${detail}`, false)
    }
    // No HTTP answer at all: connection refused or reset, socket hang-up, aborted attempt.
    return make('BS_UNAVAILABLE', `s3 ${ctx.op} ${where} failed: ${detail}`, true)
  }
  return make('BS_INVALID_ARGUMENT', `s3 ${ctx.op} ${where} rejected: ${detail}`, false)
}
