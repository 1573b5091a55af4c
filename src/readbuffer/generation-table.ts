/**
 * Per-payload generation counters, so a fill that raced a write never caches stale bytes: a
 * filler takes a payload's generation before it reads, and its put is accepted only if no
 * invalidation bumped it since.
 */
export class GenerationTable {
  readonly #limit: number
  readonly #byPayload = new Map<string, number>()
  // Every value ever handed out is unique: a bump never returns to an old value, so a
  // stale token can never match again.
  #clock = 0
  // Generation of payloads absent from the table. Raised when the table is reset, which
  // makes every token taken before the reset stale (a dropped fill costs one re-read only).
  #floor = 0

  /** Remembers at most `limit` payloads before resetting (bounds memory on big shares). */
  constructor(limit: number) {
    this.#limit = limit
  }

  /** The payload's current generation. */
  current(payloadId: string): number {
    return this.#byPayload.get(payloadId) ?? this.#floor
  }

  /** True when `generation` is still the payload's current one. */
  isCurrent(payloadId: string, generation: number): boolean {
    return this.current(payloadId) === generation
  }

  /** Invalidates every token taken for the payload so far. */
  bump(payloadId: string): void {
    if (this.#byPayload.size >= this.#limit && !this.#byPayload.has(payloadId)) {
      this.bumpAll()
    }
    this.#byPayload.set(payloadId, ++this.#clock)
  }

  /** Invalidates every token of every payload. */
  bumpAll(): void {
    this.#byPayload.clear()
    this.#floor = ++this.#clock
  }

  /** Payloads currently remembered. */
  get size(): number {
    return this.#byPayload.size
  }
}
