/**
 * Options of the S3 remote store and the S3Client built from them.
 */
import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3'
import { BlockStoreError } from '../../core/errors.js'
import { normalizeEndpoint } from './normalize-endpoint.js'
import type { RetryPolicy } from './s3-request.js'

/** Static credentials; without them the SDK's default chain (env, files, IMDS...) is used. */
export interface S3Credentials {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken?: string | undefined
}

/** Options of {@link S3RemoteStore.open}. */
export interface S3RemoteStoreOptions {
  /** Bucket; it must exist (checked with HeadBucket at open). */
  readonly bucket: string
  /** Key prefix inside the bucket, e.g. "blocks/" (a trailing "/" is the caller's choice). */
  readonly prefix?: string | undefined
  /** Region; default "us-east-1". */
  readonly region?: string | undefined
  /** S3-compatible endpoint; a bare host gets https:// ({@link normalizeEndpoint}). */
  readonly endpoint?: string | undefined
  /** Path-style addressing; default true when an endpoint is set. */
  readonly forcePathStyle?: boolean | undefined
  /** Static credentials; default: the SDK's credential chain. */
  readonly credentials?: S3Credentials | undefined
  /** A caller-owned client (not destroyed by close; its own retry settings also apply). */
  readonly client?: S3Client | undefined
  /** Attempts per operation (default 5). */
  readonly maxAttempts?: number | undefined
  /** Bound of one attempt, ms (default 30,000). */
  readonly requestTimeoutMs?: number | undefined
  /** Bound of the TCP/TLS connect, ms (default 5,000). */
  readonly connectTimeoutMs?: number | undefined
  /** Bound of a whole operation with its retries, ms (default 120,000). */
  readonly operationTimeoutMs?: number | undefined
  /** Sockets per host of the keep-alive agent: the syncer's parallelism (default 64). */
  readonly maxSockets?: number | undefined
  /** First retry backoff, ms (default 100); doubles with full jitter. */
  readonly retryBaseDelayMs?: number | undefined
  /** Largest retry backoff, ms (default 5,000). */
  readonly retryMaxDelayMs?: number | undefined
  /**
   * Optional SDK checksums: "when-required" (default with an endpoint: S3-compatible servers
   * choke on them) or "when-supported" (SDK default on AWS).
   */
  readonly checksums?: 'when-required' | 'when-supported' | undefined
}

/** Options after defaults and checks. */
export interface ResolvedS3Options {
  readonly bucket: string
  readonly prefix: string
  readonly policy: RetryPolicy
}

/** Fills defaults and checks every knob. @throws {BlockStoreError} BS_INVALID_CONFIG. */
export function resolveS3Options(o: S3RemoteStoreOptions): ResolvedS3Options {
  const bad = (why: string): never => {
    throw new BlockStoreError('BS_INVALID_CONFIG', `s3 remote store: ${why}`, { backend: 's3' })
  }
  if (typeof o.bucket !== 'string' || o.bucket === '') bad('bucket is required')
  const positive = (name: string, v: number | undefined, dflt: number): number => {
    const value = v ?? dflt
    if (!Number.isSafeInteger(value) || value <= 0) bad(`${name} must be a positive integer`)
    return value
  }
  return {
    bucket: o.bucket,
    prefix: o.prefix ?? '',
    policy: {
      maxAttempts: positive('maxAttempts', o.maxAttempts, 5),
      requestTimeoutMs: positive('requestTimeoutMs', o.requestTimeoutMs, 30_000),
      operationTimeoutMs: positive('operationTimeoutMs', o.operationTimeoutMs, 120_000),
      retryBaseDelayMs: positive('retryBaseDelayMs', o.retryBaseDelayMs, 100),
      retryMaxDelayMs: positive('retryMaxDelayMs', o.retryMaxDelayMs, 5_000),
    },
  }
}

/** Builds the client: keep-alive agent, SDK retries off (ours apply), checksums per options. */
export function createS3Client(o: S3RemoteStoreOptions, policy: RetryPolicy): S3Client {
  const endpoint = normalizeEndpoint(o.endpoint ?? '')
  if (endpoint !== '') {
    let url: URL | undefined
    try {
      url = new URL(endpoint)
    } catch {
      url = undefined
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new BlockStoreError(
        'BS_INVALID_CONFIG',
        `s3 endpoint "${endpoint}" is not an http(s) URL`,
        {
          backend: 's3',
        },
      )
    }
  }
  const maxSockets = o.maxSockets ?? 64
  // noDelay: small requests and bodies go out at once (Node 20's default, made explicit; the
  // ~50 ms small ranged GETs seen on Ceph RGW come from the server side, docs/remote-stores.md).
  const agentOptions = { keepAlive: true, noDelay: true, maxSockets, maxFreeSockets: maxSockets }
  const checksums =
    (o.checksums ?? (endpoint === '' ? 'when-supported' : 'when-required')) === 'when-required'
      ? 'WHEN_REQUIRED'
      : 'WHEN_SUPPORTED'
  const config: S3ClientConfig = {
    region: o.region ?? 'us-east-1',
    forcePathStyle: o.forcePathStyle ?? endpoint !== '',
    maxAttempts: 1,
    requestChecksumCalculation: checksums,
    responseChecksumValidation: checksums,
    requestHandler: {
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
      requestTimeout: policy.requestTimeoutMs,
      connectionTimeout: o.connectTimeoutMs ?? 5_000,
    },
    ...(endpoint === '' ? {} : { endpoint }),
    ...(o.credentials === undefined ? {} : { credentials: staticCredentials(o.credentials) }),
  }
  return new S3Client(config)
}

function staticCredentials(c: S3Credentials): {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
} {
  const base = { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey }
  return c.sessionToken === undefined ? base : { ...base, sessionToken: c.sessionToken }
}
