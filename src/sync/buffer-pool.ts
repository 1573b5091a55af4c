/**
 * Reused block-sized buffers for upload snapshots. A fresh 8 MiB allocation per uploaded block
 * was the largest avoidable cost of a drain: each one grew V8's external memory enough to
 * start a full mark-compact about every second block (71 of them while draining 1 GiB, about
 * 1.2 s of pauses on the event loop plus the concurrent marking threads: a fifth of the
 * drain's CPU). With the same few buffers reused the drain ran none.
 */

/**
 * A small free list of `size`-byte buffers, at most `keep` held while idle. They are shared
 * memory so a hashing thread reads them in place: moving a buffer to a thread and back made V8
 * count it as fresh external memory each time, which started the same collections.
 */
export class BufferPool {
  readonly #size: number
  readonly #keep: number
  readonly #free: SharedArrayBuffer[] = []

  /** `size`: bytes of each buffer; `keep`: most buffers held between uses. */
  constructor(size: number, keep: number) {
    this.#size = size
    this.#keep = Math.max(0, keep)
  }

  /** A buffer of `size` bytes, reused when one is free (its old bytes are still in it). */
  take(): Uint8Array {
    return new Uint8Array(this.#free.pop() ?? new SharedArrayBuffer(this.#size))
  }

  /**
   * Hands a buffer from {@link BufferPool.take} back (any view of it); one not from a pool
   * is ignored.
   */
  give(data: Uint8Array): void {
    const buffer = data.buffer
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength !== this.#size) return
    if (this.#free.length < this.#keep && !this.#free.includes(buffer)) this.#free.push(buffer)
  }

  /** Drops every free buffer (memory goes back once a burst of uploads is over). */
  clear(): void {
    this.#free.length = 0
  }

  /** Buffers held free now. */
  get idle(): number {
    return this.#free.length
  }
}
