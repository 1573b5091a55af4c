/**
 * Error codes, their protocol mappings and the one error class the engine raises.
 *
 * Codes are API: they never change within a major version. Messages may change.
 * The table below is the single source of truth for how every front end (HTTP, NFS, SMB)
 * reports an error; `docs/errors.md` is checked against it by a test.
 */

import {
  ERROR_CODES,
  NFS3_IO,
  NFS4_IO,
  type NfsStatus,
  type ProtocolMapping,
  SMB_IO,
  type SmbStatus,
} from './error-codes.js'

export { ERROR_CODES, type NfsStatus, type ProtocolMapping, type SmbStatus } from './error-codes.js'

/** A stable error code. */
export type ErrorCode = keyof typeof ERROR_CODES

/** Every error code, in table order. */
export const ALL_ERROR_CODES: readonly ErrorCode[] = Object.keys(ERROR_CODES) as ErrorCode[]

/** Optional structured context carried by an error (the Go `BlockStoreError` fields). */
export interface ErrorContext {
  /** Operation that failed, e.g. "upload", "download", "dedup", "gc", "readAt". */
  readonly op?: string | undefined
  readonly share?: string | undefined
  readonly payloadId?: string | undefined
  readonly blockIdx?: number | undefined
  /** Storage backend, e.g. "s3", "fs", "memory", "sqlite", "postgres". */
  readonly backend?: string | undefined
  readonly size?: number | undefined
  readonly durationMs?: number | undefined
  readonly retries?: number | undefined
  /** Remote object key or block ID involved. */
  readonly key?: string | undefined
}

/** Options for {@link BlockStoreError}: the standard `cause` plus context. */
export interface BlockStoreErrorOptions extends ErrorContext {
  readonly cause?: unknown
}

const kBrand: unique symbol = Symbol.for('ditto-blockstore.error')

/**
 * The one error class of the engine. Match on `code` (or {@link isBlockStoreError}), never on
 * the message.
 *
 * @example
 * throw new BlockStoreError('BS_BLOCK_NOT_FOUND', `no object ${key}`, { key, backend: 's3' })
 */
export class BlockStoreError extends Error {
  override readonly name = 'BlockStoreError'
  readonly code: ErrorCode
  readonly context: ErrorContext
  readonly [kBrand] = true

  constructor(code: ErrorCode, message?: string, options: BlockStoreErrorOptions = {}) {
    const { cause, ...context } = options
    super(message ?? ERROR_CODES[code].message, cause === undefined ? undefined : { cause })
    this.code = code
    this.context = context
  }

  /** True when retrying later may succeed. */
  get transient(): boolean {
    return ERROR_CODES[this.code].transient
  }

  /** The JSON form used by the HTTP API: `{ code, message }`, never a stack. */
  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message }
  }
}

/**
 * Type guard for {@link BlockStoreError}, optionally for one code. Works across two copies of
 * the package in one process (brand symbol from the global registry).
 */
export function isBlockStoreError(err: unknown, code?: ErrorCode): err is BlockStoreError {
  if (typeof err !== 'object' || err === null || !(kBrand in err)) return false
  return code === undefined || (err as BlockStoreError).code === code
}

/** Mapping of an error: the code's mapping for a BlockStoreError, `undefined` otherwise. */
export function errorMapping(err: unknown): ProtocolMapping | undefined {
  return isBlockStoreError(err) ? ERROR_CODES[err.code] : undefined
}

/** HTTP status for any thrown value (500 when it is not a BlockStoreError). */
export function toHttpStatus(err: unknown): number {
  return errorMapping(err)?.http ?? 500
}

/** NFSv3 status for any thrown value (NFS3ERR_IO when unknown). */
export function toNfs3Status(err: unknown): NfsStatus {
  return errorMapping(err)?.nfs3 ?? NFS3_IO
}

/** NFSv4 status for any thrown value (NFS4ERR_IO when unknown). */
export function toNfs4Status(err: unknown): NfsStatus {
  return errorMapping(err)?.nfs4 ?? NFS4_IO
}

/** SMB NTSTATUS for any thrown value (STATUS_UNEXPECTED_IO_ERROR when unknown). */
export function toSmbStatus(err: unknown): SmbStatus {
  return errorMapping(err)?.smb ?? SMB_IO
}

/** True when the error is a BlockStoreError whose code is transient. */
export function isTransient(err: unknown): boolean {
  return errorMapping(err)?.transient ?? false
}
