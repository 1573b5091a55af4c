/** Byte assertions that stay readable (and cheap) on multi-MiB buffers. */
import assert from 'node:assert/strict'

/** Asserts equal bytes, reporting the first difference instead of a megabyte diff. */
export function assertSameBytes(actual: Uint8Array, expected: Uint8Array, what = 'bytes'): void {
  assert.equal(actual.length, expected.length, `${what}: length`)
  if (Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(expected)) return
  const at = actual.findIndex((b, i) => b !== expected[i])
  assert.fail(`${what}: first difference at ${at} (${actual[at]} != ${expected[at]})`)
}
