/**
 * The error-code table: every code the engine can raise and how each protocol front end
 * (HTTP, NFSv3, NFSv4, SMB) reports it. `docs/errors.md` is checked against it by a test.
 */

/** An NFS status as a symbolic name and its numeric value. */
export interface NfsStatus {
  readonly name: string
  readonly code: number
}

/** An SMB NTSTATUS as a symbolic name and its 32-bit value. */
export interface SmbStatus {
  readonly name: string
  readonly code: number
}

/** How one error code is reported by each protocol front end. */
export interface ProtocolMapping {
  /** Default human-readable message (the Go sentinel's text where one exists). */
  readonly message: string
  /** HTTP status of the JSON error response. */
  readonly http: number
  /** NFSv3 status. */
  readonly nfs3: NfsStatus
  /** NFSv4 status. */
  readonly nfs4: NfsStatus
  /** SMB2 NTSTATUS. */
  readonly smb: SmbStatus
  /** True when retrying the same call later may succeed. */
  readonly transient: boolean
}

const nfs = (name: string, code: number): NfsStatus => ({ name, code })
const smb = (name: string, code: number): SmbStatus => ({ name, code })

// NFS values: RFC 1813 (v3) and RFC 7530 (v4). SMB values: MS-ERREF 2.3.1.
const NFS3_NOENT = nfs('NFS3ERR_NOENT', 2)
export const NFS3_IO = nfs('NFS3ERR_IO', 5)
const NFS3_ACCES = nfs('NFS3ERR_ACCES', 13)
const NFS3_EXIST = nfs('NFS3ERR_EXIST', 17)
const NFS3_INVAL = nfs('NFS3ERR_INVAL', 22)
const NFS3_FBIG = nfs('NFS3ERR_FBIG', 27)
const NFS3_NOSPC = nfs('NFS3ERR_NOSPC', 28)
const NFS3_ROFS = nfs('NFS3ERR_ROFS', 30)
const NFS3_DQUOT = nfs('NFS3ERR_DQUOT', 69)
const NFS3_STALE = nfs('NFS3ERR_STALE', 70)
const NFS3_BADHANDLE = nfs('NFS3ERR_BADHANDLE', 10001)
const NFS3_NOTSUPP = nfs('NFS3ERR_NOTSUPP', 10004)
const NFS3_JUKEBOX = nfs('NFS3ERR_JUKEBOX', 10008)
const NFS4_NOENT = nfs('NFS4ERR_NOENT', 2)
export const NFS4_IO = nfs('NFS4ERR_IO', 5)
const NFS4_ACCESS = nfs('NFS4ERR_ACCESS', 13)
const NFS4_EXIST = nfs('NFS4ERR_EXIST', 17)
const NFS4_INVAL = nfs('NFS4ERR_INVAL', 22)
const NFS4_FBIG = nfs('NFS4ERR_FBIG', 27)
const NFS4_NOSPC = nfs('NFS4ERR_NOSPC', 28)
const NFS4_ROFS = nfs('NFS4ERR_ROFS', 30)
const NFS4_DQUOT = nfs('NFS4ERR_DQUOT', 69)
const NFS4_STALE = nfs('NFS4ERR_STALE', 70)
const NFS4_BADHANDLE = nfs('NFS4ERR_BADHANDLE', 10001)
const NFS4_NOTSUPP = nfs('NFS4ERR_NOTSUPP', 10004)
const NFS4_DELAY = nfs('NFS4ERR_DELAY', 10008)

const SMB_NOT_FOUND = smb('STATUS_OBJECT_NAME_NOT_FOUND', 0xc0000034)
const SMB_COLLISION = smb('STATUS_OBJECT_NAME_COLLISION', 0xc0000035)
const SMB_INVALID_PARAMETER = smb('STATUS_INVALID_PARAMETER', 0xc000000d)
const SMB_DISK_FULL = smb('STATUS_DISK_FULL', 0xc000007f)
const SMB_QUOTA = smb('STATUS_QUOTA_EXCEEDED', 0xc0000044)
const SMB_CHECKSUM = smb('STATUS_DATA_CHECKSUM_ERROR', 0xc000047a)
const SMB_WRITE_PROTECTED = smb('STATUS_MEDIA_WRITE_PROTECTED', 0xc00000a2)
const SMB_NOT_SUPPORTED = smb('STATUS_NOT_SUPPORTED', 0xc00000bb)
const SMB_LOCK_CONFLICT = smb('STATUS_FILE_LOCK_CONFLICT', 0xc0000054)
const SMB_TOO_LARGE = smb('STATUS_FILE_TOO_LARGE', 0xc0000904)
const SMB_NOT_READY = smb('STATUS_DEVICE_NOT_READY', 0xc00000a3)
export const SMB_IO = smb('STATUS_UNEXPECTED_IO_ERROR', 0xc00000e9)
const SMB_FILE_CLOSED = smb('STATUS_FILE_CLOSED', 0xc0000128)
const SMB_ACCESS_DENIED = smb('STATUS_ACCESS_DENIED', 0xc0000022)
const SMB_SHARING = smb('STATUS_SHARING_VIOLATION', 0xc0000043)
const SMB_INTERNAL = smb('STATUS_INTERNAL_ERROR', 0xc00000e5)

/**
 * Every code the engine can raise. The first eighteen are the Go reference's sentinels
 * (`ErrContentNotFound` becomes `BS_CONTENT_NOT_FOUND`, ...) with the mappings its
 * documentation gives; where the reference documents none, the choice is explained inline.
 */
export const ERROR_CODES = {
  BS_CONTENT_NOT_FOUND: {
    message: 'content not found',
    http: 404,
    nfs3: NFS3_NOENT,
    nfs4: NFS4_NOENT,
    smb: SMB_NOT_FOUND,
    transient: false,
  },
  BS_CONTENT_EXISTS: {
    message: 'content already exists',
    http: 409,
    nfs3: NFS3_EXIST,
    nfs4: NFS4_EXIST,
    smb: SMB_COLLISION,
    transient: false,
  },
  BS_INVALID_OFFSET: {
    message: 'invalid offset',
    http: 416,
    nfs3: NFS3_INVAL,
    nfs4: NFS4_INVAL,
    smb: SMB_INVALID_PARAMETER,
    transient: false,
  },
  // The reference gives no HTTP status; a bad size is a client error.
  BS_INVALID_SIZE: {
    message: 'invalid size',
    http: 400,
    nfs3: NFS3_INVAL,
    nfs4: NFS4_INVAL,
    smb: SMB_INVALID_PARAMETER,
    transient: false,
  },
  BS_STORAGE_FULL: {
    message: 'storage full',
    http: 507,
    nfs3: NFS3_NOSPC,
    nfs4: NFS4_NOSPC,
    smb: SMB_DISK_FULL,
    transient: true,
  },
  BS_QUOTA_EXCEEDED: {
    message: 'quota exceeded',
    http: 507,
    nfs3: NFS3_DQUOT,
    nfs4: NFS4_DQUOT,
    smb: SMB_QUOTA,
    transient: false,
  },
  BS_INTEGRITY_CHECK_FAILED: {
    message: 'integrity check failed',
    http: 500,
    nfs3: NFS3_IO,
    nfs4: NFS4_IO,
    smb: SMB_CHECKSUM,
    transient: false,
  },
  BS_READ_ONLY: {
    message: 'content store is read-only',
    http: 403,
    nfs3: NFS3_ROFS,
    nfs4: NFS4_ROFS,
    smb: SMB_WRITE_PROTECTED,
    transient: false,
  },
  BS_NOT_SUPPORTED: {
    message: 'operation not supported',
    http: 501,
    nfs3: NFS3_NOTSUPP,
    nfs4: NFS4_NOTSUPP,
    smb: SMB_NOT_SUPPORTED,
    transient: false,
  },
  // The reference allows STALE or JUKEBOX and 409 or 412; STALE and 409 are the primary
  // choice ("callers should retry with fresh data").
  BS_CONCURRENT_MODIFICATION: {
    message: 'concurrent modification detected',
    http: 409,
    nfs3: NFS3_STALE,
    nfs4: NFS4_STALE,
    smb: SMB_LOCK_CONFLICT,
    transient: true,
  },
  BS_INVALID_PAYLOAD_ID: {
    message: 'invalid content ID',
    http: 400,
    nfs3: NFS3_BADHANDLE,
    nfs4: NFS4_BADHANDLE,
    smb: SMB_INVALID_PARAMETER,
    transient: false,
  },
  BS_TOO_LARGE: {
    message: 'content too large',
    http: 413,
    nfs3: NFS3_FBIG,
    nfs4: NFS4_FBIG,
    smb: SMB_TOO_LARGE,
    transient: false,
  },
  BS_UNAVAILABLE: {
    message: 'storage unavailable',
    http: 503,
    nfs3: NFS3_JUKEBOX,
    nfs4: NFS4_DELAY,
    smb: SMB_NOT_READY,
    transient: true,
  },
  // Metadata says the block exists but the object store has no such object: that is lost
  // data, an I/O error, never "no such file".
  BS_BLOCK_NOT_FOUND: {
    message: 'block not found',
    http: 500,
    nfs3: NFS3_IO,
    nfs4: NFS4_IO,
    smb: SMB_IO,
    transient: false,
  },
  // A closed store is a stale handle, not an I/O failure: a client that reopens (or retries
  // against a restarted server) succeeds, which is what STALE / STATUS_FILE_CLOSED tell it.
  BS_STORE_CLOSED: {
    message: 'store is closed',
    http: 503,
    nfs3: NFS3_STALE,
    nfs4: NFS4_STALE,
    smb: SMB_FILE_CLOSED,
    transient: false,
  },
  BS_INVALID_HASH: {
    message: 'invalid content hash format',
    http: 400,
    nfs3: NFS3_INVAL,
    nfs4: NFS4_INVAL,
    smb: SMB_INVALID_PARAMETER,
    transient: false,
  },
  // Internal lookups of a block row; reaching a client means the row is gone.
  BS_FILE_BLOCK_NOT_FOUND: {
    message: 'file block not found',
    http: 404,
    nfs3: NFS3_NOENT,
    nfs4: NFS4_NOENT,
    smb: SMB_NOT_FOUND,
    transient: false,
  },
  BS_REMOTE_UNAVAILABLE: {
    message: 'remote store unavailable',
    http: 503,
    nfs3: NFS3_IO,
    nfs4: NFS4_IO,
    smb: SMB_IO,
    transient: true,
  },
  // Codes of this implementation (not in the Go reference).
  /** A store, directory or database was written by a newer, unknown format. */
  BS_UNSUPPORTED_FORMAT: {
    message: 'unsupported storage format',
    http: 500,
    nfs3: NFS3_IO,
    nfs4: NFS4_IO,
    smb: SMB_IO,
    transient: false,
  },
  /** Configuration or options are invalid (bad endpoint, missing bucket, bad knob). */
  BS_INVALID_CONFIG: {
    message: 'invalid configuration',
    http: 500,
    nfs3: NFS3_IO,
    nfs4: NFS4_IO,
    smb: SMB_IO,
    transient: false,
  },
  /** The backend refused the credentials (S3 403, database auth). */
  BS_ACCESS_DENIED: {
    message: 'access denied',
    http: 403,
    nfs3: NFS3_ACCES,
    nfs4: NFS4_ACCESS,
    smb: SMB_ACCESS_DENIED,
    transient: false,
  },
  /** The HTTP request carried no valid bearer token. */
  BS_UNAUTHORIZED: {
    message: 'unauthorized',
    http: 401,
    nfs3: NFS3_ACCES,
    nfs4: NFS4_ACCESS,
    smb: SMB_ACCESS_DENIED,
    transient: false,
  },
  /** An exclusive operation (garbage collection) is already running elsewhere. */
  BS_BUSY: {
    message: 'resource busy',
    http: 409,
    nfs3: NFS3_JUKEBOX,
    nfs4: NFS4_DELAY,
    smb: SMB_SHARING,
    transient: true,
  },
  /**
   * The metadata says a block exists and is not uploaded yet, but its bytes are on another
   * node's local disk (nodes sharing one metadata store): only that node can serve it until
   * its upload completes, so retrying later succeeds. Reported like a remote outage.
   */
  BS_BLOCK_NOT_LOCAL: {
    message: 'block not uploaded yet and held by another node',
    http: 503,
    nfs3: NFS3_JUKEBOX,
    nfs4: NFS4_DELAY,
    smb: SMB_NOT_READY,
    transient: true,
  },
  /** A bad request that fits no narrower code (malformed header, bad query parameter). */
  BS_INVALID_ARGUMENT: {
    message: 'invalid argument',
    http: 400,
    nfs3: NFS3_INVAL,
    nfs4: NFS4_INVAL,
    smb: SMB_INVALID_PARAMETER,
    transient: false,
  },
  /**
   * A failure that is not a BlockStoreError (a bug): reported without details or stack, so
   * clients still get a code and nothing internal leaks.
   */
  BS_INTERNAL: {
    message: 'internal error',
    http: 500,
    nfs3: NFS3_IO,
    nfs4: NFS4_IO,
    smb: SMB_INTERNAL,
    transient: false,
  },
} as const satisfies Record<string, ProtocolMapping>
