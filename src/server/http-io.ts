/**
 * Response helpers: JSON bodies, JSON errors with the status from the core error table
 * (never a stack trace), and strict query-parameter parsing.
 */
import type { ServerResponse } from 'node:http'
import { BlockStoreError, type ErrorCode, isBlockStoreError, toHttpStatus } from '../core/errors.js'

/** Sends `body` as JSON with `status`. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  })
  res.end(text)
}

/** The JSON body of an error: the code and message of a BlockStoreError, else a generic one. */
export function errorBody(err: unknown): { code: string; message: string } {
  if (isBlockStoreError(err)) return { code: err.code, message: err.message }
  return { code: 'BS_INTERNAL', message: 'internal error' }
}

/**
 * Answers an error. When the headers are already out (a failed stream), the connection is
 * destroyed instead, so the client sees a truncated body and never a silent short one.
 */
export function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy(err instanceof Error ? err : undefined)
    return
  }
  const allow = (err as { allow?: unknown } | null)?.allow
  if (typeof allow === 'string') res.setHeader('Allow', allow)
  if (isBlockStoreError(err, 'BS_UNAUTHORIZED')) res.setHeader('WWW-Authenticate', 'Bearer')
  sendJson(res, toHttpStatus(err), errorBody(err))
}

/**
 * Reads a non-negative safe integer query parameter.
 * @throws {BlockStoreError} `code` when present but malformed, or absent and `required`.
 */
export function queryInteger(
  query: URLSearchParams,
  name: string,
  code: ErrorCode,
  required: boolean,
): number | undefined {
  const text = query.get(name)
  if (text === null) {
    if (required) throw new BlockStoreError(code, `query parameter "${name}" is required`)
    return undefined
  }
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(n)) {
    throw new BlockStoreError(code, `query parameter "${name}" must be an integer >= 0`)
  }
  return n
}

/**
 * Reads a boolean query parameter (`1/true/yes` or `0/false/no`; present and empty is true).
 * @throws {BlockStoreError} BS_INVALID_ARGUMENT when malformed.
 */
export function queryBoolean(query: URLSearchParams, name: string): boolean | undefined {
  const text = query.get(name)
  if (text === null) return undefined
  if (/^(|1|true|yes)$/i.test(text)) return true
  if (/^(0|false|no)$/i.test(text)) return false
  throw new BlockStoreError('BS_INVALID_ARGUMENT', `query parameter "${name}" must be a boolean`)
}
