/**
 * The tests' remote: the package's fault-injecting wrapper (outages, hooks that delay, fail or
 * hold calls) over a real store, plus counters of what reached it.
 */
import { FaultInjectingRemoteStore } from '../../src/conformance/faulty-remote-store.js'
import type { AbortOptions } from '../../src/core/abort.js'
import { blockSizeOfIndexedObject } from '../../src/core/chunk-layout.js'
import { hasIndexTrailer, parseChunkIndexKey } from '../../src/core/keys.js'

/**
 * Counts remote calls (also those the fault injection then fails). Reads of chunk index
 * records are counted apart (`index*`), whether from an index object of an earlier version or
 * from after the block in its own object, and a ranged read of exactly the block part of such
 * an object counts as the whole-block read it is, so the block counters keep meaning blocks.
 */
export class CountingRemote extends FaultInjectingRemoteStore {
  readonly calls = {
    writeBlock: 0,
    readBlock: 0,
    readBlockRange: 0,
    indexWrites: 0,
    indexRanges: 0,
    indexBytes: 0,
    rangeBytes: 0,
  }
  /** Most writeBlock calls in flight at once (held by `beforeWrite` included). */
  maxWritesInFlight = 0
  #writing = 0

  /** Block sizes of the objects written with their index after the block, by key. */
  readonly #blockSizes = new Map<string, number>()

  override async writeBlock(key: string, data: Uint8Array, o?: AbortOptions): Promise<void> {
    if (parseChunkIndexKey(key) !== undefined) this.calls.indexWrites++
    else this.calls.writeBlock++
    if (hasIndexTrailer(key)) {
      const size = blockSizeOfIndexedObject(data.length)
      if (size !== undefined) this.#blockSizes.set(key, size)
    }
    this.#writing++
    this.maxWritesInFlight = Math.max(this.maxWritesInFlight, this.#writing)
    try {
      return await super.writeBlock(key, data, o)
    } finally {
      this.#writing--
    }
  }

  override async readBlock(key: string, o?: AbortOptions): Promise<Uint8Array> {
    this.calls.readBlock++
    return super.readBlock(key, o)
  }

  override async readBlockRange(
    key: string,
    offset: number,
    length: number,
    o?: AbortOptions,
  ): Promise<Uint8Array> {
    const blockSize = this.#blockSizes.get(key)
    const index =
      parseChunkIndexKey(key) !== undefined || (blockSize !== undefined && offset >= blockSize)
    const whole = blockSize !== undefined && offset === 0 && length === blockSize
    if (index) this.calls.indexRanges++
    else if (whole) this.calls.readBlock++
    else this.calls.readBlockRange++
    const data = await super.readBlockRange(key, offset, length, o)
    if (index) this.calls.indexBytes += data.length
    else if (!whole) this.calls.rangeBytes += data.length
    return data
  }
}
