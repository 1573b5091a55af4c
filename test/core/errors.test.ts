import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import {
  ALL_ERROR_CODES,
  BlockStoreError,
  ERROR_CODES,
  isBlockStoreError,
  isTransient,
  toHttpStatus,
  toNfs3Status,
  toNfs4Status,
  toSmbStatus,
} from '../../src/core/index.js'

// Every sentinel of the Go reference (seed godoc), as code -> [message, http, nfs3, smb, transient].
const SEED: Record<string, [string, number, number, string, boolean]> = {
  BS_CONTENT_NOT_FOUND: ['content not found', 404, 2, 'STATUS_OBJECT_NAME_NOT_FOUND', false],
  BS_CONTENT_EXISTS: ['content already exists', 409, 17, 'STATUS_OBJECT_NAME_COLLISION', false],
  BS_INVALID_OFFSET: ['invalid offset', 416, 22, 'STATUS_INVALID_PARAMETER', false],
  BS_INVALID_SIZE: ['invalid size', 400, 22, 'STATUS_INVALID_PARAMETER', false],
  BS_STORAGE_FULL: ['storage full', 507, 28, 'STATUS_DISK_FULL', true],
  BS_QUOTA_EXCEEDED: ['quota exceeded', 507, 69, 'STATUS_QUOTA_EXCEEDED', false],
  BS_INTEGRITY_CHECK_FAILED: [
    'integrity check failed',
    500,
    5,
    'STATUS_DATA_CHECKSUM_ERROR',
    false,
  ],
  BS_READ_ONLY: ['content store is read-only', 403, 30, 'STATUS_MEDIA_WRITE_PROTECTED', false],
  BS_NOT_SUPPORTED: ['operation not supported', 501, 10004, 'STATUS_NOT_SUPPORTED', false],
  BS_CONCURRENT_MODIFICATION: [
    'concurrent modification detected',
    409,
    70,
    'STATUS_FILE_LOCK_CONFLICT',
    true,
  ],
  BS_INVALID_PAYLOAD_ID: ['invalid content ID', 400, 10001, 'STATUS_INVALID_PARAMETER', false],
  BS_TOO_LARGE: ['content too large', 413, 27, 'STATUS_FILE_TOO_LARGE', false],
  BS_UNAVAILABLE: ['storage unavailable', 503, 10008, 'STATUS_DEVICE_NOT_READY', true],
  BS_BLOCK_NOT_FOUND: ['block not found', 500, 5, 'STATUS_UNEXPECTED_IO_ERROR', false],
  BS_STORE_CLOSED: ['store is closed', 503, 70, 'STATUS_FILE_CLOSED', false],
  BS_INVALID_HASH: ['invalid content hash format', 400, 22, 'STATUS_INVALID_PARAMETER', false],
  BS_FILE_BLOCK_NOT_FOUND: ['file block not found', 404, 2, 'STATUS_OBJECT_NAME_NOT_FOUND', false],
  BS_REMOTE_UNAVAILABLE: ['remote store unavailable', 503, 5, 'STATUS_UNEXPECTED_IO_ERROR', true],
}

describe('error table', () => {
  it('maps every seed sentinel with its documented message, HTTP, NFS, SMB and transience', () => {
    for (const [code, [message, http, nfs3, smb, transient]] of Object.entries(SEED)) {
      const m = (ERROR_CODES as Record<string, (typeof ERROR_CODES)[keyof typeof ERROR_CODES]>)[
        code
      ]
      assert.ok(m, `seed sentinel ${code} is missing from ERROR_CODES`)
      assert.equal(m.message, message, code)
      assert.equal(m.http, http, code)
      assert.equal(m.nfs3.code, nfs3, code)
      assert.equal(m.smb.name, smb, code)
      assert.equal(m.transient, transient, code)
    }
  })

  it('gives every code all four mappings with well-formed values', () => {
    for (const code of ALL_ERROR_CODES) {
      const m = ERROR_CODES[code]
      assert.match(code, /^BS_[A-Z0-9_]+$/)
      assert.ok(m.message.length > 0, code)
      assert.ok(m.http >= 400 && m.http <= 599, `${code} http`)
      assert.match(m.nfs3.name, /^NFS3ERR_/, code)
      assert.match(m.nfs4.name, /^NFS4ERR_/, code)
      assert.equal(m.nfs3.code, m.nfs4.code, `${code}: v3 and v4 numbers agree`)
      assert.match(m.smb.name, /^STATUS_/, code)
      assert.equal(m.smb.code >>> 30, 3, `${code}: SMB value has error severity`)
      assert.equal(typeof m.transient, 'boolean')
    }
  })
})

describe('BlockStoreError', () => {
  it('carries a stable code, the default message, context and cause', () => {
    const cause = new Error('socket hang up')
    const err = new BlockStoreError('BS_UNAVAILABLE', undefined, {
      cause,
      op: 'upload',
      payloadId: 'a/b',
      blockIdx: 5,
      backend: 's3',
    })
    assert.equal(err.code, 'BS_UNAVAILABLE')
    assert.equal(err.message, 'storage unavailable')
    assert.equal(err.name, 'BlockStoreError')
    assert.equal(err.cause, cause)
    assert.deepEqual(err.context, { op: 'upload', payloadId: 'a/b', blockIdx: 5, backend: 's3' })
    assert.ok(err.transient)
    assert.ok(err instanceof Error)
    assert.deepEqual(JSON.parse(JSON.stringify(err)), {
      code: 'BS_UNAVAILABLE',
      message: 'storage unavailable',
    })
  })

  it('is recognised by brand, with or without a code', () => {
    const err = new BlockStoreError('BS_STORE_CLOSED')
    assert.ok(isBlockStoreError(err))
    assert.ok(isBlockStoreError(err, 'BS_STORE_CLOSED'))
    assert.ok(!isBlockStoreError(err, 'BS_UNAVAILABLE'))
    assert.ok(!isBlockStoreError(new Error('x')))
    assert.ok(!isBlockStoreError(null))
    assert.ok(!isBlockStoreError({ code: 'BS_STORE_CLOSED' }))
  })

  it('maps any thrown value to protocol statuses, unknown errors to I/O errors', () => {
    const full = new BlockStoreError('BS_STORAGE_FULL')
    assert.equal(toHttpStatus(full), 507)
    assert.equal(toNfs3Status(full).name, 'NFS3ERR_NOSPC')
    assert.equal(toNfs4Status(full).name, 'NFS4ERR_NOSPC')
    assert.equal(toSmbStatus(full).code, 0xc000007f)
    assert.ok(isTransient(full))
    const plain = new TypeError('bug')
    assert.equal(toHttpStatus(plain), 500)
    assert.equal(toNfs3Status(plain).name, 'NFS3ERR_IO')
    assert.equal(toSmbStatus(plain).name, 'STATUS_UNEXPECTED_IO_ERROR')
    assert.ok(!isTransient(plain))
  })
})

describe('docs/errors.md', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
  const rows = new Map<string, string[]>()
  for (const line of doc.split('\n')) {
    const m = /^\| `(BS_[A-Z0-9_]+)` \|(.*)\|$/.exec(line)
    if (m)
      rows.set(
        m[1]!,
        m[2]!.split('|').map((c) => c.trim()),
      )
  }

  it('lists every code with its mapping, and nothing else', () => {
    assert.deepEqual([...rows.keys()].sort(), [...ALL_ERROR_CODES].sort())
    for (const code of ALL_ERROR_CODES) {
      const m = ERROR_CODES[code]
      assert.deepEqual(
        rows.get(code),
        [
          m.message,
          String(m.http),
          `${m.nfs3.name} (${m.nfs3.code})`,
          `${m.nfs4.name} (${m.nfs4.code})`,
          `${m.smb.name} (0x${m.smb.code.toString(16).toUpperCase()})`,
          m.transient ? 'yes' : 'no',
        ],
        `docs/errors.md row for ${code} is out of date`,
      )
    }
  })
})
