/**
 * Which blocks of an fs local store have a journal record as their copy instead of a file
 * (docs/design-packs.md), and which files stopped being a copy but may still be named by a
 * committed row. Which copy serves reads only: which records rows still name is counted by
 * the journal's packs.
 */
import { parseBlockId } from '../../core/keys.js'
import type { PackSet } from './packs.js'
import { formatPlace, PackReadError, type RecordPlace } from './record-place.js'

/** The record copies of one medium, by block ID. */
export class RecordCopies {
  readonly #records = new Map<string, RecordPlace>()
  /**
   * Blocks whose file stopped being their copy when they took a record, while a committed row
   * may still name that file: it goes once the row names the record. Removed at once, a
   * failed row commit followed by a checkpoint would leave the row naming nothing.
   */
  readonly #staleFiles = new Set<string>()

  /** The record that is block `id`'s copy, if any. */
  get(id: string): RecordPlace | undefined {
    return this.#records.get(id)
  }

  /** True when block `id`'s copy is a record. */
  has(id: string): boolean {
    return this.#records.has(id)
  }

  /**
   * Makes the record at `place` block `id`'s copy; `hadFile`: the block's file was its copy
   * until now, and stays on disk until the block's row names the record (see `named`).
   */
  take(id: string, place: RecordPlace, hadFile: boolean): void {
    if (hadFile && !this.#records.has(id)) this.#staleFiles.add(id)
    this.#records.set(id, place)
  }

  /** Block `id`'s copy is no record any more (a file again, or gone); returns the record. */
  drop(id: string): RecordPlace | undefined {
    const place = this.#records.get(id)
    this.#records.delete(id)
    this.#staleFiles.delete(id)
    return place
  }

  /**
   * Block `id`'s row now names `localPath`: true when that is the block's record and a file
   * it left was waiting for exactly this (the caller removes the file).
   */
  named(id: string, localPath: string): boolean {
    const served = this.#records.get(id)
    if (served === undefined || formatPlace(served) !== localPath) return false
    return this.#staleFiles.delete(id)
  }

  /** The blocks whose copy is a record of generation `gen`, with that record's place. */
  servedBy(gen: number): { payloadId: string; blockIdx: number; place: string }[] {
    const out: { payloadId: string; blockIdx: number; place: string }[] = []
    for (const [id, place] of this.#records) {
      const at = parseBlockId(id)
      if (place.gen === gen && at !== undefined) out.push({ ...at, place: formatPlace(place) })
    }
    return out
  }

  /** Generations of the records serving reads. */
  generations(): Set<number> {
    const out = new Set<number>()
    for (const place of this.#records.values()) out.add(place.gen)
    return out
  }
}

/**
 * Reads `length` bytes at `blockOffset` of the record at `place` into `dest[destOffset...]`,
 * zero-filling past its end; returns how many bytes the record had there. A record that cannot
 * be read back has none: the tier compares the count with the size it committed, so a lost
 * copy is an error, never zeros.
 */
export async function readRecord(
  packs: PackSet,
  place: RecordPlace,
  dest: Uint8Array,
  destOffset: number,
  blockOffset: number,
  length: number,
): Promise<number> {
  let data: Uint8Array
  try {
    data = await packs.read(place)
  } catch (err) {
    if (!(err instanceof PackReadError)) throw err
    dest.fill(0, destOffset, destOffset + length)
    return 0
  }
  const got = Math.max(0, Math.min(length, data.length - blockOffset))
  dest.set(data.subarray(blockOffset, blockOffset + got), destOffset)
  dest.fill(0, destOffset + got, destOffset + length)
  return got
}
