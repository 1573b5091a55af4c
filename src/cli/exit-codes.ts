/** Documented exit codes of the `ditto-blockstore` command (docs/cli.md). */
import { isBlockStoreError } from '../core/errors.js'

/** Exit codes by meaning. */
export const ExitCode = {
  Ok: 0,
  /** Any other failure. */
  Error: 1,
  /** Bad command line or configuration. */
  Usage: 2,
  /** The payload does not exist. */
  NotFound: 3,
  /** Server unreachable, store busy or closed, remote down, health unhealthy. */
  Unavailable: 4,
  /** The server refused the token, or the backend the credentials. */
  Unauthorized: 5,
  /** Partly done: drain with failed blocks, health degraded. */
  Partial: 6,
  /** Interrupted by a signal. */
  Interrupted: 130,
} as const

/** The exit code for a thrown error. */
export function exitCodeFor(err: unknown): number {
  if (!isBlockStoreError(err)) return ExitCode.Error
  switch (err.code) {
    case 'BS_CONTENT_NOT_FOUND':
      return ExitCode.NotFound
    case 'BS_INVALID_CONFIG':
    case 'BS_INVALID_ARGUMENT':
    case 'BS_INVALID_PAYLOAD_ID':
    case 'BS_INVALID_SIZE':
    case 'BS_INVALID_OFFSET':
      return ExitCode.Usage
    case 'BS_UNAVAILABLE':
    case 'BS_REMOTE_UNAVAILABLE':
    case 'BS_STORE_CLOSED':
    case 'BS_BUSY':
      return ExitCode.Unavailable
    case 'BS_UNAUTHORIZED':
    case 'BS_ACCESS_DENIED':
      return ExitCode.Unauthorized
    default:
      return ExitCode.Error
  }
}
