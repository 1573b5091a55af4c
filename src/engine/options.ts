/**
 * Options of {@link openBlockStore}: each part is given by value (an opened store) or by a
 * short config; unset limits come from `deduceDefaults` of this machine.
 */
import type { SystemDetector } from '../core/defaults.js'
import type { LocalStore, LocalStoreHooks } from '../core/local-store.js'
import type { MetadataStore } from '../core/metadata-store.js'
import type { RemoteStore } from '../core/remote-store.js'
import type { RetentionPolicy } from '../core/retention.js'

/**
 * Default {@link BlockStoreOptions.rangedReadThreshold}: the largest random read served by a
 * verified ranged GET. Measured against Ceph RGW on loopback (docs/read-buffer.md): up to
 * this size a range plus its index record beats a whole 8 MiB block on latency and bytes.
 */
export const DEFAULT_RANGED_READ_THRESHOLD = 128 * 1024

/**
 * Local tier by config. Each knob has the name the store itself uses (`FsLocalStore.open`,
 * `LocalStore.stats()`), and the server's settings are these names under `local`:
 * `localMaxDisk` is `local.maxDisk`. An option that does not apply to the kind is refused
 * with BS_INVALID_CONFIG rather than ignored.
 */
export type LocalConfig =
  | {
      readonly kind: 'fs'
      /** Directory of block files (created if missing). */
      readonly dir: string
      /** Disk cap in bytes (default: deduced local store size; 0 = unlimited). */
      readonly maxDisk?: number | undefined
      /** Dirty-buffer memory budget in bytes (default: deduced). */
      readonly maxMemory?: number | undefined
      /** @deprecated Earlier name of `maxDisk`: accepted, with a one-time DeprecationWarning. */
      readonly maxDiskBytes?: number | undefined
      /** @deprecated Earlier name of `maxMemory`: accepted, with a one-time DeprecationWarning. */
      readonly maxMemoryBytes?: number | undefined
      /**
       * fsync block files on flush (default true). False is only safe with
       * `durability: 'remote'`, where the remote is the durable copy.
       */
      readonly fsync?: boolean | undefined
      /**
       * How long a writer over the disk cap waits for uploads to free space (default
       * `DefaultSpaceWaitMs`, 60 s).
       */
      readonly spaceWaitMs?: number | undefined
      /**
       * Small flushed blocks (up to 1 MiB) kept in shared pack files instead of a file each
       * (default true; see docs/design-packs.md).
       */
      readonly packs?: boolean | undefined
    }
  | {
      readonly kind: 'memory'
      /**
       * Cap on the bytes the store holds (default: unlimited). The memory store stands in for
       * the disk tier, so its cap is the tier's `maxDisk`, as its stats report it. Over it a
       * writer waits up to `spaceWaitMs` for uploads and eviction of synced blocks to free
       * space, then fails with BS_STORAGE_FULL. It has no separate dirty-buffer budget:
       * `maxMemory` is refused here.
       */
      readonly maxDisk?: number | undefined
      /**
       * @deprecated Earlier name of this kind's `maxDisk`: accepted, with a one-time
       * DeprecationWarning.
       */
      readonly maxMemoryBytes?: number | undefined
      /** How long a writer over the cap waits for space (default `DefaultSpaceWaitMs`, 60 s). */
      readonly spaceWaitMs?: number | undefined
    }

/** Remote tier by config. */
export type RemoteConfig =
  | { readonly kind: 'memory' }
  | { readonly kind: 'fs'; readonly dir: string }
  | {
      readonly kind: 's3'
      readonly bucket: string
      readonly prefix?: string | undefined
      readonly region?: string | undefined
      readonly endpoint?: string | undefined
      readonly forcePathStyle?: boolean | undefined
      readonly accessKeyId?: string | undefined
      readonly secretAccessKey?: string | undefined
    }

/** Metadata store by config. */
export type MetadataConfig =
  | { readonly kind: 'memory' }
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema?: string | undefined }

/** Background upload and fetch knobs. */
export interface SyncerConfig {
  /** Uploads in flight (default: deduced, at least 8). */
  readonly parallelUploads?: number | undefined
  /** Remote reads in flight (default: deduced). */
  readonly parallelFetches?: number | undefined
  /** Period of the background upload pass in ms (default 1000). */
  readonly uploadIntervalMs?: number | undefined
  /** A flushed block is uploaded once idle this long in ms (default 2000). */
  readonly uploadDelayMs?: number | undefined
  /** Time budget of one demand fetch in ms (default 60000). */
  readonly fetchBudgetMs?: number | undefined
  /** Health probe period while healthy / unhealthy, failure threshold, probe timeout. */
  readonly healthIntervalMs?: number | undefined
  readonly unhealthyIntervalMs?: number | undefined
  readonly failureThreshold?: number | undefined
  readonly probeTimeoutMs?: number | undefined
}

/**
 * Opens a local store with the engine's hooks (read-modify-write of remote-only blocks, dropped
 * references). A store passed by value has no such hooks: a partial write into a block that
 * only the remote holds then fails with BS_REMOTE_UNAVAILABLE instead of merging.
 */
export type LocalFactory = (hooks: LocalStoreHooks) => Promise<LocalStore>

/** Options of `openBlockStore`. */
export interface BlockStoreOptions {
  readonly local: LocalStore | LocalConfig | LocalFactory
  /** `undefined`: local-only engine. */
  readonly remote?: RemoteStore | RemoteConfig | undefined
  readonly metadata: MetadataStore | MetadataConfig
  /** Retention of synced blocks on local disk (default lru). */
  readonly retention?:
    | { readonly policy: RetentionPolicy; readonly ttlMs?: number | undefined }
    | undefined
  /**
   * `'local'` (default): flush returns once the payload is durable on local disk.
   * `'remote'`: flush also waits until the payload's blocks are uploaded.
   */
  readonly durability?: 'local' | 'remote' | undefined
  /** Read buffer bytes (default: deduced; 0 disables it). */
  readonly readBufferBytes?: number | undefined
  /** Prefetch workers (default 4; 0 disables prefetch). */
  readonly prefetchWorkers?: number | undefined
  /**
   * The most prefetch loads at once while a sequential reader keeps catching up with
   * read-ahead (default: 4 x prefetchWorkers, at most the parallel fetches, never below
   * prefetchWorkers; the read buffer's budget bounds it further). Equal to prefetchWorkers
   * for a fixed pool.
   */
  readonly prefetchMaxWorkers?: number | undefined
  /**
   * Which blocks fetched from the remote are also written to the local tier, in the
   * background and best effort (a failed copy never fails the read): `'random'` (default)
   * those of non-sequential reads, `'always'` every one, `'never'` none. A cold sequential
   * stream is read ahead into the read buffer; copying it to disk as well cost it throughput
   * and about 0.5 CPU s/GiB on the benchmark machine.
   */
  readonly cacheFetchedBlocks?: 'random' | 'always' | 'never' | undefined
  /**
   * Random (non-sequential) reads that need at most this many bytes of a remote-only block
   * use a verified ranged GET instead of fetching the whole 8 MiB block: the range is widened
   * to 4 KiB leaves and each leaf is checked against the block's chunk index before a byte is
   * served (docs/read-buffer.md). Blocks uploaded before chunk indexes existed are always
   * fetched whole and checked against their SHA-256. Default {@link DEFAULT_RANGED_READ_THRESHOLD}
   * (128 KiB); 0 disables ranged reads.
   */
  readonly rangedReadThreshold?: number | undefined
  readonly syncer?: SyncerConfig | undefined
  /** Machine figures for deduced defaults (default: this machine, cgroup-aware). */
  readonly detector?: SystemDetector | undefined
}
