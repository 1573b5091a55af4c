/**
 * The generated tree of the ingest bench: file sizes from 4 KiB to 64 MiB, most files small
 * as in a real home or project tree, about one file in eight an exact copy of an earlier one.
 * Deterministic (seeded), random bytes so nobody's compression flatters the figures.
 */
import { randomFillSync } from 'node:crypto'
import { copyFile, mkdir, open } from 'node:fs/promises'
import { join } from 'node:path'
import { Rng } from '../../test/reliability/support/rng.js'

const KiB = 1024
const MiB = 1024 * KiB

/** One generated file. */
export interface TreeFile {
  readonly path: string
  readonly size: number
}

/** One planned file: its size, and the index of the file it copies when it is a duplicate. */
export interface PlannedFile {
  readonly size: number
  readonly copyOf?: number
}

/**
 * How much the size exponent decays: the base-2 exponent above 4 KiB follows an exponential
 * law of this rate, cut at 64 MiB. A log-uniform law (every size class as likely) makes a
 * 2,100-file tree weigh about 7 GiB, since its mean is set by the few largest files; at this
 * rate, for the bench's seed, 2,100 files weigh 733.6 MiB (the tree the ingest goal is stated
 * for): median 13 KiB, 18 files over 8 MiB, the largest 63 MiB, 231 copies (127 MiB). The
 * 200 files of --quick weigh 66 MiB.
 */
const DECAY = 0.408

/** Sizes of `files` files, deterministic for a seed; about one in eight copies an earlier one. */
export function planTree(files: number, seed: number): PlannedFile[] {
  // Seeded, so every run builds the same tree.
  const random = new Rng(seed)
  const next = (): number => random.next()
  const span = 14 // 4 KiB (2^12) to 64 MiB (2^26)
  const out: PlannedFile[] = []
  const originals: number[] = []
  for (let i = 0; i < files; i++) {
    if (originals.length > 4 && next() < 0.125) {
      const src = originals[Math.floor(next() * originals.length)]!
      out.push({ size: out[src]!.size, copyOf: src })
      continue
    }
    // Inverse of the truncated exponential law's distribution function.
    const x = -Math.log(1 - next() * (1 - Math.exp(-DECAY * span))) / DECAY
    out.push({ size: Math.max(4 * KiB, Math.round(2 ** (12 + x))) })
    originals.push(i)
  }
  return out
}

/** Writes the planned tree under `dir` (23 x 7 directories) and returns its files. */
export async function buildTree(dir: string, files: number, seed: number): Promise<TreeFile[]> {
  const out: TreeFile[] = []
  const chunk = Buffer.allocUnsafe(4 * MiB)
  for (const [i, f] of planTree(files, seed).entries()) {
    const sub = join(dir, `d${i % 23}`, `e${i % 7}`)
    await mkdir(sub, { recursive: true })
    const path = join(sub, `f${i}.bin`)
    if (f.copyOf !== undefined) {
      await copyFile(out[f.copyOf]!.path, path)
    } else {
      const fh = await open(path, 'w')
      try {
        for (let at = 0; at < f.size; at += chunk.length) {
          const n = Math.min(chunk.length, f.size - at)
          randomFillSync(chunk, 0, n)
          await fh.write(chunk, 0, n)
        }
      } finally {
        await fh.close()
      }
    }
    out.push({ path, size: f.size })
  }
  return out
}
