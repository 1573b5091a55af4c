/**
 * FsLocalStore: the local tier on disk. Dirty write buffers in memory, block files under a
 * hashed, format-versioned layout, fsynced flushes, crash recovery at open.
 */
import { randomBytes } from 'node:crypto'
import { open, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { AbortOptions } from '../../core/abort.js'
import type { HealthReport } from '../../core/health.js'
import { probeHealth } from '../../core/health.js'
import type { MetadataStore } from '../../core/metadata-store.js'
import { LocalTier } from '../common/local-tier.js'
import { repackBlock } from '../common/ops/repack.js'
import { newTierState, type TierOptions, type TierState } from '../common/state/tier-state.js'
import { FsBlockMedium } from './fs-block-medium.js'
import { FsLayout } from './layout.js'
import { recover } from './recovery.js'

/** Packs smaller than this are not worth compacting (a whole checkpoint's worth of records). */
const COMPACT_MIN_BYTES = 4 * 1024 * 1024

/** Options of {@link FsLocalStore.open}. */
export interface FsLocalStoreOptions extends TierOptions {
  /** Store directory (created when missing). */
  readonly dir: string
  /** Where block rows and payload records live. */
  readonly metadata: MetadataStore
  /**
   * Fsync block files and directories on flush (default true). `false` is only for
   * write-back setups where the remote is the durable copy: a power loss may then lose
   * flushed bytes, and `capabilities.durable` is false.
   */
  readonly fsync?: boolean | undefined
  /** Open block files kept in the handle pool (default 256). */
  readonly maxOpenFiles?: number | undefined
  /**
   * Small blocks (up to 1 MiB) flushed through the journal keep their record as their only
   * copy, in shared pack files, instead of a block file each (docs/design-packs.md): a 4 KiB
   * payload costs no inode, directory entry or fsync of its own. Default true; false keeps
   * every block in its own file (directories written by either are read by both).
   */
  readonly packs?: boolean | undefined
}

/**
 * A {@link LocalStore} on disk.
 * @example
 * await using store = await FsLocalStore.open({ dir: '/var/lib/ditto/share1', metadata })
 */
export class FsLocalStore extends LocalTier {
  readonly dir: string
  readonly #medium: FsBlockMedium
  readonly #state: TierState
  #compacting: Promise<number> | undefined

  private constructor(
    dir: string,
    medium: FsBlockMedium,
    ...args: ConstructorParameters<typeof LocalTier>
  ) {
    super(...args)
    this.dir = dir
    this.#medium = medium
    this.#state = args[0]
  }

  /**
   * Moves the blocks whose copies are records in mostly dead packs into fresh records, so a
   * later checkpoint can delete those packs (docs/design-packs.md); resolves with the number
   * of blocks moved. Runs after checkpoints by itself; one run at a time.
   */
  compactPacks(): Promise<number> {
    this.#compacting ??= this.#compact().finally(() => {
      this.#compacting = undefined
    })
    return this.#compacting
  }

  /**
   * Gives back the disk space of dead records in packs, the most wasteful packs first, when a
   * write finds the cap reached: their live records move on, and the checkpoint that follows
   * deletes the packs no row names any more.
   */
  async #reclaim(): Promise<void> {
    const packs = this.#medium.journal?.packs
    if (packs === undefined) return
    await this.#compact(packs.wasteful(), false)
    await this.#medium.journal?.checkpoint()
  }

  async #compact(gens?: readonly number[], wait = true): Promise<number> {
    const packs = this.#medium.journal?.packs
    if (packs === undefined) return 0
    let moved = 0
    for (const gen of gens ?? packs.sparse(COMPACT_MIN_BYTES)) {
      for (const b of this.#medium.servedBy(gen)) {
        if (await repackBlock(this.#state, b.payloadId, b.blockIdx, b.place, { wait })) moved++
      }
    }
    return moved
  }

  /**
   * The flush journal's counters (appends, batches = fdatasyncs, checkpoints, flushes that
   * synced for themselves because a checkpoint overtook them); `undefined` without fsync,
   * where there is no journal.
   */
  journalStats():
    | { appends: number; batches: number; checkpoints: number; uncovered: number }
    | undefined {
    const stats = this.#medium.journal?.stats
    return stats === undefined ? undefined : { ...stats }
  }

  /**
   * Makes the block files of every journaled flush durable and retires the journal's records
   * (the store does this by itself within a second; a backup of the directory taken while the
   * store is open wants it first).
   */
  async checkpoint(): Promise<void> {
    await this.#medium.journal?.checkpoint()
  }

  /**
   * Opens (or creates) a store directory and runs crash recovery.
   * @throws {BlockStoreError} BS_UNSUPPORTED_FORMAT when the directory has a newer format.
   */
  static async open(options: FsLocalStoreOptions): Promise<FsLocalStore> {
    const layout = new FsLayout(options.dir)
    await layout.prepare()
    const fsync = options.fsync ?? true
    const packs = options.packs ?? true
    const medium = new FsBlockMedium(layout, fsync, options.maxOpenFiles, packs)
    const state = newTierState(options.metadata, medium, true, options)
    const report = await recover(state, medium, layout)
    const store = new FsLocalStore(
      options.dir,
      medium,
      state,
      { durable: fsync, persistent: true },
      report,
    )
    if (medium.journal !== undefined) {
      // In the background: a failure leaves the packs as they are, to try at the next one.
      medium.journal.onCheckpoint = () => void store.compactPacks().catch(() => {})
      state.reclaim = () => store.#reclaim()
      // Packs no row names after recovery (a kill mid-compaction) go at once.
      if ((medium.journal.packs?.dead().length ?? 0) > 0) {
        void medium.journal.checkpoint().catch(() => {})
      }
    }
    return store
  }

  /** Unhealthy when closed, when the directory is missing or not a directory, or not writable. */
  override async healthcheck(options?: AbortOptions): Promise<HealthReport> {
    const base = await super.healthcheck(options)
    if (base.status !== 'healthy') return base
    return probeHealth(async () => {
      const st = await stat(this.dir).catch((err: unknown) => {
        throw new Error(`baseDir stat: ${(err as Error).message}`)
      })
      if (!st.isDirectory()) throw new Error(`baseDir "${this.dir}" is not a directory`)
      const probe = join(this.dir, `.dfs-health-probe-${randomBytes(6).toString('hex')}`)
      const fh = await open(probe, 'wx').catch((err: unknown) => {
        throw new Error(`write probe create: ${(err as Error).message}`)
      })
      await fh.close()
      await unlink(probe).catch((err: unknown) => {
        throw new Error(`write probe remove: ${(err as Error).message}`)
      })
    }, options?.signal)
  }
}
