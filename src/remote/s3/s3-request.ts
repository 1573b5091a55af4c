/**
 * One S3 operation with bounded time and jittered retries: every attempt has its own timeout,
 * the whole operation an overall one (so a hung server cannot pin a caller), and only
 * transient failures are retried.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { AbortOptions } from '../../core/abort.js'
import { BlockStoreError } from '../../core/errors.js'
import type { RequestStats } from '../request-stats.js'
import { classifyS3Error, type S3ErrorContext } from './s3-errors.js'

/** Retry and timeout settings of a {@link S3Requester}. */
export interface RetryPolicy {
  /** Attempts per operation, the first included. */
  readonly maxAttempts: number
  /** Bound of one attempt (headers and body). */
  readonly requestTimeoutMs: number
  /** Bound of the whole operation, retries and backoff included. */
  readonly operationTimeoutMs: number
  /** First backoff; doubles per retry, with full jitter. */
  readonly retryBaseDelayMs: number
  /** Largest backoff. */
  readonly retryMaxDelayMs: number
}

/** Runs S3 calls under a {@link RetryPolicy}, counting requests, failures and retries. */
export class S3Requester {
  readonly #policy: RetryPolicy
  readonly #stats: RequestStats
  #retries = 0

  constructor(policy: RetryPolicy, stats: RequestStats) {
    this.#policy = policy
    this.#stats = stats
  }

  /** Retries made so far (attempts after the first of an operation). */
  get retries(): number {
    return this.#retries
  }

  /**
   * Runs `attempt` until it succeeds, fails permanently, runs out of attempts or time.
   * Rejects with the caller's `signal.reason` when the caller aborts.
   * @throws {BlockStoreError} the classified error of the last attempt.
   */
  async run<T>(
    kind: string,
    ctx: S3ErrorContext,
    options: AbortOptions | undefined,
    attempt: (signal: AbortSignal) => Promise<T>,
    maxAttempts = this.#policy.maxAttempts,
  ): Promise<T> {
    const caller = options?.signal
    caller?.throwIfAborted()
    const { requestTimeoutMs, operationTimeoutMs } = this.#policy
    const overall = AbortSignal.timeout(operationTimeoutMs)
    const bound = caller ? AbortSignal.any([caller, overall]) : overall
    const started = performance.now()
    for (let n = 1; ; n++) {
      const perAttempt = AbortSignal.timeout(requestTimeoutMs)
      this.#stats.request(kind)
      try {
        return await attempt(AbortSignal.any([bound, perAttempt]))
      } catch (err) {
        this.#stats.failure(kind)
        const stop = this.#stopReason(caller, overall, ctx, started)
        if (stop !== undefined) throw stop
        const c = classifyS3Error(err, ctx, perAttempt.aborted)
        if (!c.retryable || n >= maxAttempts) throw withRetries(c.error, n - 1)
        this.#retries++
        const delay =
          Math.random() *
          Math.min(this.#policy.retryMaxDelayMs, this.#policy.retryBaseDelayMs * 2 ** (n - 1))
        try {
          await sleep(delay, undefined, { signal: bound })
        } catch {
          throw this.#stopReason(caller, overall, ctx, started) ?? c.error
        }
      }
    }
  }

  #stopReason(
    caller: AbortSignal | undefined,
    overall: AbortSignal,
    ctx: S3ErrorContext,
    started: number,
  ): unknown {
    if (caller?.aborted) return caller.reason
    if (overall.aborted) {
      const ms = Math.round(performance.now() - started)
      return new BlockStoreError(
        'BS_UNAVAILABLE',
        `s3 ${ctx.op} gave up after ${ms} ms (operation timeout ${this.#policy.operationTimeoutMs} ms)`,
        { op: ctx.op, key: ctx.key, backend: 's3', durationMs: ms },
      )
    }
    return undefined
  }
}

function withRetries(err: BlockStoreError, retries: number): BlockStoreError {
  if (retries === 0) return err
  return new BlockStoreError(err.code, `${err.message} (after ${retries} retries)`, {
    ...err.context,
    retries,
    cause: err.cause,
  })
}
