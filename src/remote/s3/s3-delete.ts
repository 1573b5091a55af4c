/**
 * One DeleteObjects batch whose per-key errors are checked: ignoring them, as the Go reference
 * does, reports success for objects that are still there.
 */
import { DeleteObjectsCommand, type S3Client } from '@aws-sdk/client-s3'
import { BlockStoreError } from '../../core/errors.js'

const DENIED = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch'])

/**
 * Deletes up to 1,000 full keys; returns how many were deleted.
 * @throws {BlockStoreError} BS_ACCESS_DENIED or BS_UNAVAILABLE (transient, retried by the
 * caller) naming the first failed key when any key was not deleted.
 */
export async function deleteKeys(
  client: S3Client,
  bucket: string,
  keys: readonly string[],
  signal: AbortSignal,
): Promise<number> {
  if (keys.length === 0) return 0
  if (keys.length > 1000) throw new RangeError('DeleteObjects takes at most 1,000 keys')
  const out = await client.send(
    new DeleteObjectsCommand({
      Bucket: bucket,
      Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
    }),
    { abortSignal: signal },
  )
  const errors = out.Errors ?? []
  if (errors.length === 0) return keys.length
  const first = errors[0]!
  const code = DENIED.has(first.Code ?? '') ? 'BS_ACCESS_DENIED' : 'BS_UNAVAILABLE'
  throw new BlockStoreError(
    code,
    `s3 DeleteObjects: ${errors.length} of ${keys.length} keys not deleted; first "${first.Key}": ${first.Code} ${first.Message ?? ''}`.trim(),
    { backend: 's3', op: 'deleteByPrefix', key: first.Key },
  )
}
