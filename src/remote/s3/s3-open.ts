/**
 * Checks made by `S3RemoteStore.open`: credentials resolve and the bucket exists and answers.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { BlockStoreError, isBlockStoreError } from '../../core/errors.js'

/**
 * Resolves credentials (when the SDK chain supplies them) then runs `headBucket`, turning
 * its failures into messages that name the cause.
 * @throws {BlockStoreError} BS_INVALID_CONFIG, BS_ACCESS_DENIED, BS_UNAVAILABLE.
 */
export async function openCheck(
  client: S3Client,
  bucket: string,
  usesCredentialChain: boolean,
  headBucket: () => Promise<unknown>,
): Promise<void> {
  if (usesCredentialChain) {
    try {
      await client.config.credentials()
    } catch (err) {
      throw new BlockStoreError(
        'BS_INVALID_CONFIG',
        'no S3 credentials resolved: pass credentials or set AWS_ACCESS_KEY_ID and ' +
          'AWS_SECRET_ACCESS_KEY (or an AWS profile)',
        { cause: err, backend: 's3', op: 'open' },
      )
    }
  }
  try {
    await headBucket()
  } catch (err) {
    if (
      isBlockStoreError(err, 'BS_BLOCK_NOT_FOUND') ||
      isBlockStoreError(err, 'BS_INVALID_CONFIG')
    ) {
      throw new BlockStoreError(
        'BS_INVALID_CONFIG',
        `s3 bucket "${bucket}" does not exist or the endpoint is not an S3 server`,
        { cause: err, backend: 's3', op: 'open' },
      )
    }
    if (isBlockStoreError(err, 'BS_ACCESS_DENIED')) {
      throw new BlockStoreError(
        'BS_ACCESS_DENIED',
        `s3 credentials refused for bucket "${bucket}" (bad key or secret, or no permission)`,
        { cause: err, backend: 's3', op: 'open' },
      )
    }
    throw err
  }
}
