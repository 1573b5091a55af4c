/**
 * Signing a PutObject with a SHA-256 the caller already computed, so the SDK's SigV4 signer
 * does not hash every byte of the body a second time.
 */
import type { PutObjectCommand } from '@aws-sdk/client-s3'

/** The SigV4 header carrying the payload hash; the signer uses a value found there as is. */
const PAYLOAD_HASH_HEADER = 'x-amz-content-sha256'

/**
 * Sets `x-amz-content-sha256` to `hex` (64 lower-case hex digits) on the request `command`
 * builds. Added at the build step, which runs before signing (finalizeRequest); the signer
 * then signs this value instead of hashing the body, and S3 (and Ceph RGW) refuse the PUT with
 * XAmzContentSHA256Mismatch if the body that arrives does not match it.
 */
export function presetPayloadHash(command: PutObjectCommand, hex: string): void {
  command.middlewareStack.add(
    (next) => (args) => {
      const request = args.request as { headers?: Record<string, string> }
      if (request.headers !== undefined) request.headers[PAYLOAD_HASH_HEADER] = hex
      return next(args)
    },
    { step: 'build', name: 'dittoPresetPayloadHash', priority: 'low' },
  )
}
