/**
 * A small pool of worker threads computing SHA-256 of buffers moved to them (transferred, not
 * copied) and moved back with the digest.
 */
import { Worker } from 'node:worker_threads'

// Inline CommonJS source: works the same under tsx (tests, benches) and from dist/, with no
// separate file to resolve next to this module.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
parentPort.on('message', (job) => {
  const digest = createHash('sha256').update(new Uint8Array(job.buffer)).digest()
  const out = new Uint8Array(32)
  out.set(digest)
  parentPort.postMessage({ id: job.id, buffer: job.buffer, digest: out.buffer }, [job.buffer, out.buffer])
})
`

interface Job {
  readonly resolve: (v: { digest: Uint8Array; data: Uint8Array }) => void
  readonly reject: (err: unknown) => void
  readonly worker: Slot
}

interface Slot {
  worker: Worker
  busy: number
  idleTimer: NodeJS.Timeout | undefined
}

/**
 * An idle worker exits after this long: threads (and their descriptors) exist only while
 * blocks are being hashed, and a burst of uploads or reads keeps them warm.
 */
const IDLE_EXIT_MS = 300

/** Hashes buffers on `size` lazily started worker threads, least busy first. */
export class HashWorkerPool {
  readonly #size: number
  readonly #slots: Slot[] = []
  readonly #jobs = new Map<number, Job>()
  #nextId = 0

  constructor(size: number) {
    this.#size = Math.max(1, size)
  }

  /**
   * SHA-256 of `data`, which must be the whole of an ArrayBuffer: it is moved to a worker and
   * comes back as the returned `data`.
   */
  hash(data: Uint8Array): Promise<{ digest: Uint8Array; data: Uint8Array }> {
    const slot = this.#pick()
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#jobs.set(id, { resolve, reject, worker: slot })
      slot.busy++
      if (slot.idleTimer !== undefined) {
        clearTimeout(slot.idleTimer)
        slot.idleTimer = undefined
      }
      // Referenced only while it has work: an idle pool never keeps the process alive.
      if (slot.busy === 1) slot.worker.ref()
      slot.worker.postMessage({ id, buffer: data.buffer }, [data.buffer as ArrayBuffer])
    })
  }

  #pick(): Slot {
    let best: Slot | undefined
    for (const s of this.#slots) if (best === undefined || s.busy < best.busy) best = s
    if (best !== undefined && (best.busy === 0 || this.#slots.length >= this.#size)) return best
    return this.#spawn()
  }

  #spawn(): Slot {
    const worker = new Worker(WORKER_SOURCE, { eval: true })
    worker.unref()
    const slot: Slot = { worker, busy: 0, idleTimer: undefined }
    worker.on('message', (m: { id: number; buffer: ArrayBuffer; digest: ArrayBuffer }) => {
      const job = this.#jobs.get(m.id)
      if (job === undefined) return
      this.#jobs.delete(m.id)
      this.#settled(slot)
      job.resolve({ digest: new Uint8Array(m.digest), data: new Uint8Array(m.buffer) })
    })
    const fail = (err: unknown): void => {
      // A dead worker fails its jobs (their bytes are lost with it) and is replaced on demand.
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
