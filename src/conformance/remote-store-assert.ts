/**
 * Small assertion helpers of the store conformance suites (node:assert only).
 */
import assert from 'node:assert/strict'
import type { AbortOptions } from '../core/abort.js'
import { type ErrorCode, isBlockStoreError } from '../core/errors.js'
import type { RemoteStore } from '../core/remote-store.js'

/** Asserts that `promise` rejects with a BlockStoreError of `code`. */
export async function rejectsCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isBlockStoreError(err), `expected a BlockStoreError ${code}, got ${String(err)}`)
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`)
    return true
  })
}

/** Drains an async iterable into an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

/** Keys listed by `listObjects(prefix)`, in the order listed. */
export async function listKeys(
  store: Pick<RemoteStore, 'listObjects'>,
  prefix: string,
  options?: AbortOptions,
): Promise<string[]> {
  const keys: string[] = []
  for await (const o of store.listObjects(prefix, options)) keys.push(o.key)
  return keys
}

/** UTF-8 bytes of a string. */
export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text)
}

/** Deterministic pseudo-random bytes (no two seeds alike). */
export function pattern(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size)
  let x = (seed * 2654435761 + 1) >>> 0
  for (let i = 0; i < size; i++) {
    x = (x * 1664525 + 1013904223) >>> 0
    out[i] = x >>> 24
  }
  return out
}
