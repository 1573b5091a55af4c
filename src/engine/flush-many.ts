/**
 * Batch flushes (`flushMany`, `flushAll`): every ID checked first, then the payloads flushed
 * with bounded concurrency so their syncs can be committed together underneath, each outcome
 * kept so one failing payload never hides what happened to the others.
 */
import type { AbortOptions } from '../core/abort.js'
import type { FlushResult } from '../core/block.js'
import type {
  FlushManyOptions,
  FlushManyResult,
  PayloadFlushFailure,
  PayloadFlushResult,
} from '../core/block-store.js'
import { DefaultFlushConcurrency } from '../core/constants.js'
import { BlockStoreError, isBlockStoreError } from '../core/errors.js'
import { forEachBounded } from '../core/for-each-bounded.js'
import { assertUserPayloadId } from '../core/payload-id.js'

/** Flushes one payload the way `BlockStore.flush` does (inside the caller's close gate). */
export type FlushOne = (pid: string, options?: AbortOptions) => Promise<FlushResult>

/**
 * The batch's IDs, checked and deduplicated (first occurrence kept).
 * @throws {BlockStoreError} BS_INVALID_ARGUMENT (not an array, a reserved ID),
 * BS_INVALID_PAYLOAD_ID, naming the offending position.
 */
export function checkFlushIds(ids: unknown): string[] {
  if (!Array.isArray(ids)) {
    throw new BlockStoreError('BS_INVALID_ARGUMENT', 'flushMany takes an array of payload IDs')
  }
  const seen = new Set<string>()
  ids.forEach((id: unknown, i) => {
    try {
      assertUserPayloadId(id)
    } catch (err) {
      if (!isBlockStoreError(err)) throw err
      throw new BlockStoreError(err.code, `ids[${i}]: ${err.message}`, { cause: err })
    }
    seen.add(id)
  })
  return [...seen]
}

/**
 * The batch's concurrency.
 * @throws {BlockStoreError} BS_INVALID_ARGUMENT unless a positive safe integer.
 */
export function checkFlushConcurrency(options?: FlushManyOptions): number {
  const n = options?.concurrency ?? DefaultFlushConcurrency
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new BlockStoreError(
      'BS_INVALID_ARGUMENT',
      `concurrency must be a positive integer, got ${String(n)}`,
    )
  }
  return n
}

type Outcome =
  | { readonly ok: true; readonly result: PayloadFlushResult }
  | { readonly ok: false; readonly failure: PayloadFlushFailure }
  | undefined

/**
 * Flushes checked, distinct `ids` with at most `concurrency` in flight. With `skipMissing`, a
 * payload that no longer exists is left out of both lists (flushAll: deleted meanwhile).
 * @throws the abort reason when `options.signal` aborts (after the running flushes settled).
 */
export async function flushBatch(
  ids: readonly string[],
  concurrency: number,
  flushOne: FlushOne,
  options: FlushManyOptions | undefined,
  skipMissing: boolean,
): Promise<FlushManyResult> {
  const outcomes: Outcome[] = new Array(ids.length)
  const o: AbortOptions | undefined =
    options?.signal === undefined ? undefined : { signal: options.signal }
  await forEachBounded(
    ids,
    concurrency,
    async (payloadId, i) => {
      try {
        const { finalized } = await flushOne(payloadId, o)
        outcomes[i] = { ok: true, result: { payloadId, finalized } }
      } catch (error) {
        if (skipMissing && isBlockStoreError(error, 'BS_CONTENT_NOT_FOUND')) return
        const code = isBlockStoreError(error) ? error.code : 'BS_INTERNAL'
        const message = error instanceof Error ? error.message : String(error)
        outcomes[i] = { ok: false, failure: { payloadId, code, message, error } }
      }
    },
    o,
  )
  const results: PayloadFlushResult[] = []
  const failures: PayloadFlushFailure[] = []
  for (const outcome of outcomes) {
    if (outcome === undefined) continue
    if (outcome.ok) results.push(outcome.result)
    else failures.push(outcome.failure)
  }
  return { results, failures }
}
