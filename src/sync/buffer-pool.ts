/**
 * Reused buffers for upload snapshots. A fresh 8 MiB allocation per uploaded block was the
 * largest avoidable cost of a drain: each one grew V8's external memory enough to start a full
 * mark-compact about every second block (71 of them while draining 1 GiB, about 1.2 s of pauses
 * on the event loop plus the concurrent marking threads: a fifth of the drain's CPU). With the
 * same few buffers reused the drain ran none.
 *
 * Buffers come in power-of-two sizes from 64 KiB to the block size, so a small block does not
 * pin a whole block's worth of memory: that is what lets the uploader keep many small blocks
 * in progress at once within the memory of a few full ones.
 */

/** Smallest buffer handed out: below it the per-buffer overhead dominates. */
const MIN_SIZE = 64 * 1024

/**
 * Free lists of shared buffers by size class, holding at most about `keepBytes` per class
 * while idle. They are shared memory so a hashing thread reads them in place: moving a buffer
 * to a thread and back made V8 count it as fresh external memory each time, which started the
 * same collections.
 */
export class BufferPool {
  readonly #size: number
  readonly #keepBytes: number
  readonly #free = new Map<number, SharedArrayBuffer[]>()
  #release: NodeJS.Timeout | undefined

  /**
   * `size`: the largest buffer (a block); `keep`: how many of the largest are kept free, the
   * same bytes' worth of each smaller class.
   */
  constructor(size: number, keep: number) {
    this.#size = size
    this.#keepBytes = Math.max(0, keep) * size
  }

  /**
   * A buffer of at least `bytes` (the full size when omitted or larger), reused when one of
   * its class is free (its old bytes are still in it).
   */
  take(bytes = this.#size): Uint8Array {
    this.#cancelRelease()
    const size = this.#classOf(bytes)
    return new Uint8Array(this.#free.get(size)?.pop() ?? new SharedArrayBuffer(size))
  }

  /**
   * Hands a buffer from {@link BufferPool.take} back (any view of it); one not from a pool is
   * ignored.
   */
  give(data: Uint8Array): void {
    const buffer = data.buffer
    if (!(buffer instanceof SharedArrayBuffer)) return
    const size = buffer.byteLength
    if (this.#classOf(size) !== size) return
    const free = this.#free.get(size) ?? []
    if ((free.length + 1) * size <= this.#keepBytes && !free.includes(buffer)) {
      free.push(buffer)
      this.#free.set(size, free)
    }
  }

  /** Drops every free buffer. */
  clear(): void {
    this.#cancelRelease()
    this.#free.clear()
  }

  /**
   * Drops every free buffer once `afterMs` pass with no {@link BufferPool.take}: memory goes
   * back after a burst of uploads, while a steady stream of passes (one a second in the
   * background) keeps reusing the same pages. On this kind of VM a page touched for the first
   * time costs about 3.9 CPU s/GiB (docs/architecture.md): a pool emptied at the end of every
   * pass made each pass pay that for every buffer again.
   */
  releaseAfter(afterMs: number): void {
    this.#cancelRelease()
    this.#release = setTimeout(() => {
      this.#release = undefined
      this.#free.clear()
    }, afterMs)
    // A pending release never keeps the process alive.
    this.#release.unref()
  }

  #cancelRelease(): void {
    if (this.#release === undefined) return
    clearTimeout(this.#release)
    this.#release = undefined
  }

  /** Buffers held free now. */
  get idle(): number {
    let n = 0
    for (const free of this.#free.values()) n += free.length
    return n
  }

  /** The class of `bytes`: the next power of two from MIN_SIZE, capped at the full size. */
  #classOf(bytes: number): number {
    if (bytes >= this.#size) return this.#size
    let size = Math.min(MIN_SIZE, this.#size)
    while (size < bytes) size *= 2
    return Math.min(size, this.#size)
  }
}
