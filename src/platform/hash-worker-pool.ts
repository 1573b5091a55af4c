/**
 * A small pool of worker threads computing SHA-256 of buffers moved to them (transferred, not
 * copied) and moved back with the digest, and on request the SHA-256 of every leaf of the
 * chunk index in the same pass over the bytes (src/platform/chunk-tree.ts). A job may also
 * keep its hash state for one continuation: the SHA-256 of the bytes followed by a tail sent
 * afterwards (an upload's body is the block followed by its chunk index, which is built from
 * the leaf hashes, and the body's digest is signed in place of hashing it all again).
 */
import { Worker } from 'node:worker_threads'

// Inline CommonJS source: works the same under tsx (tests, benches) and from dist/, with no
// separate file to resolve next to this module.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const crypto = require('node:crypto')
const leafHash = typeof crypto.hash === 'function'
  ? (leaf) => crypto.hash('sha256', leaf, 'buffer')
  : (leaf) => crypto.createHash('sha256').update(leaf).digest()
const kept = new Map()
parentPort.on('message', (job) => {
  if (job.of !== undefined) {
    // The continuation of job \`of\`: its hash state plus the tail (none: just forget it).
    const state = kept.get(job.of)
    kept.delete(job.of)
    let out = null
    if (state !== undefined && job.tail !== null) {
      state.update(new Uint8Array(job.tail))
      out = new Uint8Array(32)
      out.set(state.digest())
    }
    parentPort.postMessage({ id: job.id, buffer: null, digest: out === null ? null : out.buffer, leaves: null }, out === null ? [] : [out.buffer])
    return
  }
  const data = job.shared ? new Uint8Array(job.shared, job.offset, job.length) : new Uint8Array(job.buffer, 0, job.length)
  const whole = crypto.createHash('sha256')
  let leaves = null
  if (job.leafSize > 0) {
    // One pass: each leaf feeds the block hash and its own hash while it is in cache.
    const n = Math.ceil(data.length / job.leafSize)
    leaves = new Uint8Array(n * 32)
    for (let i = 0; i < n; i++) {
      const leaf = data.subarray(i * job.leafSize, (i + 1) * job.leafSize)
      whole.update(leaf)
      leaves.set(leafHash(leaf), i * 32)
    }
  } else {
    whole.update(data)
  }
  const out = new Uint8Array(32)
  if (job.keep) {
    out.set(whole.copy().digest())
    kept.set(job.id, whole)
  } else {
    out.set(whole.digest())
  }
  const moved = [out.buffer]
  if (!job.shared) moved.push(job.buffer)
  if (leaves !== null) moved.push(leaves.buffer)
  parentPort.postMessage(
    { id: job.id, buffer: job.shared ? null : job.buffer, digest: out.buffer, leaves: leaves === null ? null : leaves.buffer },
    moved,
  )
})
`

/** What a worker hands back: the digest, the bytes, and the leaf hashes when asked for. */
export interface HashJobResult {
  readonly digest: Uint8Array
  readonly data: Uint8Array
  /** Leaf hashes, 32 bytes a leaf (only when the job gave a leaf size). */
  readonly leaves: Uint8Array | undefined
  /**
   * Only for a job that asked to keep its state: the SHA-256 of the job's bytes followed by
   * `tail`. Must be called exactly once (with `null` to let the state go, resolving
   * `undefined`); the thread counts as busy until then.
   */
  readonly continueWith?: (tail: Uint8Array | null) => Promise<Uint8Array | undefined>
}

/** Options of a hashing job. */
export interface HashJobOptions {
  /** > 0: also hash every piece of this many bytes. */
  readonly leafSize?: number | undefined
  /** Keep the hash state for {@link HashJobResult.continueWith}. */
  readonly keep?: boolean | undefined
}

interface Job {
  readonly length: number
  /** The state stays on the thread for a continuation (the slot stays busy until then). */
  readonly keep: boolean
  /** Shared bytes hashed in place (nothing moved). */
  readonly inPlace: Uint8Array | undefined
  readonly resolve: (v: HashJobResult) => void
  readonly reject: (err: unknown) => void
  readonly worker: Slot
}

interface Slot {
  worker: Worker
  busy: number
  idleTimer: NodeJS.Timeout | undefined
  /** The thread failed or exited: kept states are gone with it. */
  dead: boolean
}

/**
 * An idle worker exits after this long: threads (and their descriptors) exist only while
 * blocks are being hashed, and a stream of uploads or reads keeps them warm. Starting a thread
 * costs about 55 ms of CPU and 150 ms before its first digest, against 6-20 ms to hash an
 * 8 MiB block: at 300 ms a cold read of 64 blocks at 40-60 MiB/s started 22 threads (a block
 * every 130-200 ms leaves gaps longer than that), a third of the read's CPU.
 */
const IDLE_EXIT_MS = 1000

/**
 * Jobs a thread may have queued before another is started: a second job waits for one hash
 * (6-20 ms) rather than paying for a thread; a third means hashing is falling behind.
 */
const QUEUE_BEFORE_SPAWN = 2

/** Hashes buffers on `size` lazily started worker threads, least busy first. */
export class HashWorkerPool {
  readonly #size: number
  readonly #slots: Slot[] = []
  readonly #jobs = new Map<number, Job>()
  #nextId = 0
  #spawned = 0

  constructor(size: number) {
    this.#size = Math.max(1, size)
  }

  /**
   * SHA-256 of `data`, which must start its ArrayBuffer (the caller owns all of that buffer):
   * the buffer is moved to a worker and comes back as the returned `data` (a view of the same
   * length). With `leafSize` > 0, also the SHA-256 of every `leafSize` piece of it, in the same
   * pass.
   */
  hash(data: Uint8Array, options: HashJobOptions = {}): Promise<HashJobResult> {
    if (data.byteOffset !== 0) throw new Error('hash worker input must start its buffer')
    const length = data.byteLength
    const { leafSize = 0, keep = false } = options
    return this.#submit(length, undefined, keep, { buffer: data.buffer, length, leafSize, keep }, [
      data.buffer as ArrayBuffer,
    ])
  }

  /**
   * As {@link HashWorkerPool.hash} for bytes in a SharedArrayBuffer: the worker reads them in
   * place, nothing moves, and the returned `data` is `data` itself. The caller must not change
   * them until this settles. Why: moving a buffer to a thread and back counts, for V8, as
   * fresh external memory on each side, and that started a full garbage collection about
   * every second block of a drain; shared memory is accounted once.
   */
  hashShared(data: Uint8Array, options: HashJobOptions = {}): Promise<HashJobResult> {
    const shared = data.buffer
    if (!(shared instanceof SharedArrayBuffer)) throw new Error('hashShared needs shared memory')
    const { leafSize = 0, keep = false } = options
    return this.#submit(
      data.byteLength,
      data,
      keep,
      { shared, offset: data.byteOffset, length: data.byteLength, leafSize, keep },
      [],
    )
  }

  #submit(
    length: number,
    inPlace: Uint8Array | undefined,
    keep: boolean,
    message: Record<string, unknown>,
    transfer: ArrayBuffer[],
    on?: Slot,
  ): Promise<HashJobResult> {
    const slot = on ?? this.#pick()
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      if (slot.dead) {
        reject(new Error('hash worker exited before the continuation'))
        return
      }
      this.#jobs.set(id, { resolve, reject, worker: slot, length, inPlace, keep })
      // A continuation runs on the slot its state lives on, which still counts it as busy.
      if (on === undefined) slot.busy++
      if (slot.idleTimer !== undefined) {
        clearTimeout(slot.idleTimer)
        slot.idleTimer = undefined
      }
      // Referenced only while it has work: an idle pool never keeps the process alive.
      if (slot.busy === 1) slot.worker.ref()
      slot.worker.postMessage({ id, ...message }, transfer)
    })
  }

  #pick(): Slot {
    let best: Slot | undefined
    for (const s of this.#slots) if (best === undefined || s.busy < best.busy) best = s
    if (
      best !== undefined &&
      (best.busy < QUEUE_BEFORE_SPAWN || this.#slots.length >= this.#size)
    ) {
      return best
    }
    return this.#spawn()
  }

  /** Jobs submitted and threads started so far (a thread exits when idle, see below). */
  stats(): { readonly jobs: number; readonly spawned: number } {
    return { jobs: this.#nextId, spawned: this.#spawned }
  }

  #spawn(): Slot {
    this.#spawned++
    const worker = new Worker(WORKER_SOURCE, { eval: true })
    worker.unref()
    const slot: Slot = { worker, busy: 0, idleTimer: undefined, dead: false }
    type Reply = {
      id: number
      buffer: ArrayBuffer | null
      digest: ArrayBuffer | null
      leaves: ArrayBuffer | null
    }
    worker.on('message', (m: Reply) => {
      const job = this.#jobs.get(m.id)
      if (job === undefined) return
      this.#jobs.delete(m.id)
      if (!job.keep) this.#settled(slot)
      const digest = m.digest === null ? new Uint8Array(0) : new Uint8Array(m.digest)
      job.resolve({
        digest,
        data: job.inPlace ?? new Uint8Array(m.buffer ?? new ArrayBuffer(0), 0, job.length),
        leaves: m.leaves === null ? undefined : new Uint8Array(m.leaves),
        ...(job.keep ? { continueWith: this.#continuation(slot, m.id) } : {}),
      })
    })
    const fail = (err: unknown): void => {
      // A dead worker fails its jobs (their bytes are lost with it) and is replaced on demand.
      slot.dead = true
      const i = this.#slots.indexOf(slot)
      if (i >= 0) this.#slots.splice(i, 1)
      for (const [id, job] of this.#jobs) {
        if (job.worker !== slot) continue
        this.#jobs.delete(id)
        job.reject(err instanceof Error ? err : new Error(`hash worker failed: ${String(err)}`))
      }
    }
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`hash worker exited with code ${code}`)))
    this.#slots.push(slot)
    return slot
  }

  /** The continuation of kept job `of` on `slot` (see {@link HashJobResult.continueWith}). */
  #continuation(
    slot: Slot,
    of: number,
  ): (tail: Uint8Array | null) => Promise<Uint8Array | undefined> {
    let used = false
    return async (tail) => {
      if (used) throw new Error('a hash state can be continued once')
      used = true
      // Copied: the tail is small (a chunk index) and the caller keeps its own.
      const copy = tail === null ? null : tail.slice().buffer
      const done = await this.#submit(
        0,
        undefined,
        false,
        { of, tail: copy },
        copy === null ? [] : [copy],
        slot,
      )
      return done.digest.length === 0 ? undefined : done.digest
    }
  }

  #settled(slot: Slot): void {
    slot.busy--
    if (slot.busy > 0) return
    slot.worker.unref()
    slot.idleTimer = setTimeout(() => {
      if (slot.busy > 0) return
      const i = this.#slots.indexOf(slot)
      if (i >= 0) this.#slots.splice(i, 1)
      void slot.worker.terminate()
    }, IDLE_EXIT_MS)
    slot.idleTimer.unref()
  }
}
