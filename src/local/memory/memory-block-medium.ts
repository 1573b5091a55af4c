/**
 * Block copies kept in memory (the memory local store's medium). Nothing is durable.
 */
import { BlockSize } from '../../core/constants.js'
import { formatBlockId } from '../../core/keys.js'
import type { BlockMedium } from '../common/state/block-medium.js'

/** A {@link BlockMedium} over a map of growable byte arrays. */
export class MemoryBlockMedium implements BlockMedium {
  readonly backend = 'memory'
  readonly durable: boolean = false
  readonly #blocks = new Map<string, { bytes: Uint8Array; size: number }>()
  /** Copies linked in by a payload rename, waiting for its commit. */
  readonly #renamed = new Map<string, { bytes: Uint8Array; size: number }>()

  localPath(payloadId: string, blockIdx: number): string {
    return `memory:${formatBlockId(payloadId, blockIdx)}`
  }

  async read(
    payloadId: string,
    blockIdx: number,
    dest: Uint8Array,
    destOffset: number,
    blockOffset: number,
    length: number,
  ): Promise<number> {
    const b = this.#blocks.get(formatBlockId(payloadId, blockIdx))
    const avail = b === undefined ? 0 : Math.max(0, Math.min(length, b.size - blockOffset))
    if (b !== undefined && avail > 0) {
      dest.set(b.bytes.subarray(blockOffset, blockOffset + avail), destOffset)
    }
    dest.fill(0, destOffset + avail, destOffset + length)
    return avail
  }

  async write(
    payloadId: string,
    blockIdx: number,
    data: Uint8Array,
    offset: number,
  ): Promise<void> {
    const id = formatBlockId(payloadId, blockIdx)
    const end = offset + data.length
    let b = this.#blocks.get(id)
    if (b === undefined) {
      b = { bytes: new Uint8Array(capacityFor(end)), size: 0 }
      this.#blocks.set(id, b)
    } else if (b.bytes.length < end) {
      const grown = new Uint8Array(capacityFor(end))
      grown.set(b.bytes.subarray(0, b.size))
      b.bytes = grown
    }
    b.bytes.set(data, offset)
    b.size = Math.max(b.size, end)
  }

  async replace(payloadId: string, blockIdx: number, data: Uint8Array): Promise<void> {
    this.#blocks.set(formatBlockId(payloadId, blockIdx), {
      bytes: Uint8Array.from(data),
      size: data.length,
    })
  }

  async linkRenamed(src: string, dst: string, blockIdx: number): Promise<string> {
    const b = this.#blocks.get(formatBlockId(src, blockIdx))
    const id = formatBlockId(dst, blockIdx)
    if (b === undefined) this.#renamed.delete(id)
    else this.#renamed.set(id, b)
    return this.localPath(dst, blockIdx)
  }

  async commitRenamed(payloadId: string, blockIdx: number, _linked?: string): Promise<void> {
    const id = formatBlockId(payloadId, blockIdx)
    const b = this.#renamed.get(id)
    this.#renamed.delete(id)
    if (b === undefined) this.#blocks.delete(id)
    else this.#blocks.set(id, b)
  }

  async discardRenamed(payloadId: string, blockIdx: number, _linked?: string): Promise<void> {
    this.#renamed.delete(formatBlockId(payloadId, blockIdx))
  }

  async truncate(payloadId: string, blockIdx: number, size: number): Promise<void> {
    const b = this.#blocks.get(formatBlockId(payloadId, blockIdx))
    if (b === undefined || size >= b.size) return
    // Zero the cut tail so a later extension inside the capacity reads zeros.
    b.bytes.fill(0, size, b.size)
    b.size = size
  }

  async remove(payloadId: string, blockIdx: number): Promise<void> {
    this.#blocks.delete(formatBlockId(payloadId, blockIdx))
  }

  async sync(): Promise<void> {}

  async removePayload(): Promise<void> {}

  async close(): Promise<void> {
    this.#blocks.clear()
    this.#renamed.clear()
  }
}

/** Capacity for `end` bytes: doubling from 4 KiB, capped at BlockSize. */
function capacityFor(end: number): number {
  let cap = 4096
  while (cap < end) cap *= 2
  return Math.min(cap, BlockSize)
}
