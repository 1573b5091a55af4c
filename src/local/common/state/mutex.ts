/**
 * Small async locks: a FIFO mutex (per block) and a readers-writer lock (per payload).
 */

/** A FIFO async mutex. */
export class Mutex {
  #locked = false
  readonly #waiters: Array<() => void> = []

  /** True while held. */
  get locked(): boolean {
    return this.#locked
  }

  /** Waits for the lock; resolves to the release function. */
  async lock(): Promise<() => void> {
    if (this.#locked) await new Promise<void>((resolve) => this.#waiters.push(resolve))
    this.#locked = true
    return this.#releaser()
  }

  /** Takes the lock only when free (never waits); `undefined` when held. */
  tryLock(): (() => void) | undefined {
    if (this.#locked) return undefined
    this.#locked = true
    return this.#releaser()
  }

  #releaser(): () => void {
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.#waiters.shift()
      // Hand the lock straight to the next waiter so no newcomer can barge in.
      if (next === undefined) this.#locked = false
      else next()
    }
  }
}

/** A readers-writer lock that lets a waiting writer in before later readers. */
export class RwLock {
  #readers = 0
  #writer = false
  #writersWaiting = 0
  readonly #queue: Array<() => void> = []

  /** Shared access; resolves to the release function. */
  async read(): Promise<() => void> {
    while (this.#writer || this.#writersWaiting > 0) await this.#wait()
    this.#readers++
    return this.#once(() => {
      this.#readers--
      this.#wake()
    })
  }

  /** Shared access only when no writer holds or awaits the lock (never waits). */
  tryRead(): (() => void) | undefined {
    if (this.#writer || this.#writersWaiting > 0) return undefined
    this.#readers++
    return this.#once(() => {
      this.#readers--
      this.#wake()
    })
  }

  /** Exclusive access; resolves to the release function. */
  async write(): Promise<() => void> {
    this.#writersWaiting++
    while (this.#writer || this.#readers > 0) await this.#wait()
    this.#writersWaiting--
    this.#writer = true
    return this.#once(() => {
      this.#writer = false
      this.#wake()
    })
  }

  #wait(): Promise<void> {
    return new Promise<void>((resolve) => this.#queue.push(resolve))
  }

  #wake(): void {
    // Everyone re-checks its condition; the lock is rarely contended, so this stays cheap.
    for (const resolve of this.#queue.splice(0)) resolve()
  }

  #once(fn: () => void): () => void {
    let done = false
    return () => {
      if (!done) {
        done = true
        fn()
      }
    }
  }
}
