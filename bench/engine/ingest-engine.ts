/**
 * Our side of the ingest bench: the generated tree fed to the engine file by file, `inFlight`
 * files at a time, made durable either by one `flush` per file or by batch flushes
 * (`flushMany` of every `batch` files written), then drained to an fs remote.
 */
import { open, readdir, stat } from 'node:fs/promises'
import { join, relative } from 'node:path'
import type { BlockStore } from '../../src/core/block-store.js'
import { blockSizeOfIndexedObject } from '../../src/core/chunk-layout.js'
import { openBlockStore } from '../../src/engine/index.js'
import type { TreeFile } from './ingest-tree.js'

const MiB = 1024 * 1024

/** One measured run. */
export interface Run {
  /** Seconds until every file was durable locally. */
  readonly durableS: number
  /** Seconds until every block was also in the remote (or the repository). */
  readonly drainedS: number
  /** CPU seconds (user + system) of the whole run. */
  readonly cpuS: number
  /** CPU seconds (user + system) until every file was durable locally. */
  readonly durableCpuS?: number
  readonly storedBytes: number
  /** Of `storedBytes`, the bytes of chunk index objects (ours only). */
  readonly indexBytes?: number
}

/** Streams file `f` into payload `id` through `buf`, 1 MiB `writeAt`s, as a sync tool would. */
export async function writeFileInto(
  store: Pick<BlockStore, 'writeAt'>,
  id: string,
  f: TreeFile,
  buf: Buffer,
): Promise<void> {
  const fh = await open(f.path, 'r')
  try {
    for (let at = 0; at < f.size; at += MiB) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(MiB, f.size - at), at)
      await store.writeAt(id, buf.subarray(0, bytesRead), at)
    }
  } finally {
    await fh.close()
  }
}

/**
 * Writes every file of `tree` (under `root`) into the payload named by its relative path,
 * `inFlight` files at a time, calling `afterFile` with each ID once its bytes are written.
 */
export async function writeTree(
  store: Pick<BlockStore, 'writeAt'>,
  root: string,
  tree: readonly TreeFile[],
  inFlight: number,
  afterFile: (id: string) => Promise<void>,
): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    const buf = Buffer.allocUnsafe(MiB)
    for (let i = next++; i < tree.length; i = next++) {
      const f = tree[i]!
      const id = relative(root, f.path)
      await writeFileInto(store, id, f, buf)
      await afterFile(id)
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
}

/** Bytes under `dir` (apparent sizes of regular files). */
export async function storedBytes(dir: string): Promise<number> {
  return (await storedSplit(dir)).total
}

/**
 * Bytes under `dir` (apparent sizes of regular files), and of those the bytes of chunk
 * indexes: the part after the block in objects that carry one (the fs remote keeps a key's
 * suffix at the end of its file name), and index objects of earlier versions (`.chunks`).
 */
async function storedSplit(dir: string): Promise<{ total: number; indexes: number }> {
  let total = 0
  let indexes = 0
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    const size = (await stat(join(entry.parentPath, entry.name))).size
    total += size
    if (entry.name.endsWith('.chunks')) indexes += size
    else if (entry.name.endsWith('.ci')) indexes += size - (blockSizeOfIndexedObject(size) ?? size)
  }
  return { total, indexes }
}

/**
 * Streams each file in 1 MiB writes, `inFlight` files at a time. `batch` 0 flushes each file
 * as it is written; otherwise the files written are flushed together with `flushMany` once
 * `batch` of them are pending (and the rest at the end), as a sync tool that commits a
 * directory at a time would.
 */
export async function ingestWithEngine(
  dir: string,
  tree: readonly TreeFile[],
  root: string,
  inFlight: number,
  batch: number,
): Promise<Run> {
  const store = await openBlockStore({
    local: { kind: 'fs', dir: join(dir, 'local'), maxDisk: 0 },
    remote: { kind: 'fs', dir: join(dir, 'remote') },
    metadata: { kind: 'sqlite', path: join(dir, 'meta.db') },
    // Uploads start when the bench drains, so "durable" measures the local path alone.
    syncer: { uploadIntervalMs: 3_600_000 },
  })
  let pending: string[] = []
  const flushPending = async (): Promise<void> => {
    const ids = pending
    pending = []
    if (ids.length === 0) return
    const { failures } = await store.flushMany(ids)
    if (failures.length > 0) throw new Error(`flush failed: ${failures[0]?.message}`)
  }
  try {
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    await writeTree(store, root, tree, inFlight, async (id) => {
      if (batch === 0) {
        await store.flush(id)
      } else {
        pending.push(id)
        if (pending.length >= batch) await flushPending()
      }
    })
    await flushPending()
    const durableS = (performance.now() - t0) / 1000
    const durableCpu = process.cpuUsage(cpu0)
    const report = await store.drainAllUploads()
    if (report.failed.length > 0) throw new Error(`drain failed: ${report.failed.length} blocks`)
    const drainedS = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpu0)
    const stored = await storedSplit(join(dir, 'remote'))
    return {
      durableS,
      drainedS,
      cpuS: (cpu.user + cpu.system) / 1e6,
      durableCpuS: (durableCpu.user + durableCpu.system) / 1e6,
      storedBytes: stored.total,
      indexBytes: stored.indexes,
    }
  } finally {
    await store.close()
  }
}
