/** Shared helpers of the local store tests: temp directories and opened fs stores. */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import type { LocalStoreFixture } from '../../src/conformance/local-store.js'
import { LocalTier } from '../../src/local/common/local-tier.js'
import type { BlockMedium } from '../../src/local/common/state/block-medium.js'
import { newTierState, type TierOptions } from '../../src/local/common/state/tier-state.js'
import { FsLocalStore, type FsLocalStoreOptions } from '../../src/local/fs/fs-local-store.js'
import { MemoryMetadataStore } from '../../src/meta/memory/memory-metadata-store.js'

/** A temp directory removed after the test. */
export async function tempDir(t: TestContext, prefix = 'ditto-local-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** An fs store over a memory metadata store, closed after the test. */
export async function openFs(
  t: TestContext,
  options: Partial<FsLocalStoreOptions> = {},
): Promise<LocalStoreFixture & { store: FsLocalStore; dir: string }> {
  const dir = options.dir ?? (await tempDir(t))
  const metadata = options.metadata ?? (await MemoryMetadataStore.open())
  const store = await FsLocalStore.open({ ...options, dir, metadata })
  t.after(async () => {
    await store.close().catch(() => {})
    await metadata.close()
  })
  return { store, metadata, dir }
}

/**
 * A buffered tier over `medium` (a memory medium, or a fault-injecting one posing as durable)
 * and a memory metadata store, closed after the test.
 */
export async function openTier(
  t: Pick<TestContext, 'after'>,
  medium: BlockMedium,
  options: TierOptions = {},
): Promise<{ store: LocalTier; metadata: MemoryMetadataStore }> {
  const metadata = await MemoryMetadataStore.open()
  const store = new LocalTier(newTierState(metadata, medium, true, options), {
    durable: medium.durable,
    persistent: false,
  })
  t.after(async () => {
    await store.close()
    await metadata.close()
  })
  return { store, metadata }
}

/** Sum of the sizes of every block file and pack under `dir`, and their count. */
export async function walkBlocks(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0
  let files = 0
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    // Packs hold the small blocks' records (docs/design-packs.md).
    if (!entry.isFile() || !(entry.name.endsWith('.blk') || entry.name.endsWith('.pack'))) continue
    bytes += (await stat(join(entry.parentPath ?? entry.path, entry.name))).size
    files++
  }
  return { bytes, files }
}
