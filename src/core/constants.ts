/** Size of one block: 8 MiB. The single source of truth; every module derives from it. */
export const BlockSize = 8 * 1024 * 1024

/** Size of a content hash in bytes (SHA-256). */
export const HashSize = 32

/** Floor for the deduced local store size: 256 MiB. */
export const MinLocalStoreSize = 256 * 1024 * 1024

/** Floor for the deduced read buffer size: 64 MiB. */
export const MinReadBufferSize = 64 * 1024 * 1024

/** Floor for deduced parallel uploads. */
export const MinParallelSyncs = 4

/** Floor for deduced parallel downloads. */
export const MinParallelFetches = 8

/** Prefetch workers per engine (fixed, not deduced). */
export const DefaultPrefetchWorkers = 4

/**
 * How long a writer over the local tier's cap waits for uploads and eviction to free space
 * before it fails with BS_STORAGE_FULL, unless told otherwise: one default whether the store
 * is opened by the engine or directly.
 */
export const DefaultSpaceWaitMs = 60_000

/**
 * Period of the background upload pass unless told otherwise: one default whether the engine
 * is opened directly or from the server's configuration.
 */
export const DefaultUploadIntervalMs = 1_000

/**
 * How long a flushed block stays unchanged before it is uploaded unless told otherwise (a block
 * still being rewritten is not uploaded twice). Like {@link DefaultUploadIntervalMs}, one
 * default for the engine and the server's configuration.
 */
export const DefaultUploadDelayMs = 2_000

/** Longest payload ID accepted, in UTF-8 bytes. */
export const MaxPayloadIdBytes = 1024

/**
 * Largest block index: block offsets must stay exact in a JavaScript number, so the last
 * byte of the last block is below 2^53.
 */
export const MaxBlockIndex = Math.floor(Number.MAX_SAFE_INTEGER / BlockSize) - 1

/** Largest payload size in bytes (every byte offset exact in a JavaScript number). */
export const MaxPayloadSize = (MaxBlockIndex + 1) * BlockSize

/**
 * Payload flushes a batch flush (`flushMany`, `flushAll`) runs at once unless told otherwise:
 * enough for their syncs to be committed together, few enough not to flood the metadata store.
 */
export const DefaultFlushConcurrency = 32

/**
 * Most payload IDs one `POST /v1/flush` may name: the server refuses more, and the CLI's HTTP
 * client sends larger batches in slices of this size. It lives in core because the server and
 * the CLI, which share it, may not import each other.
 */
export const MaxFlushIds = 10_000
