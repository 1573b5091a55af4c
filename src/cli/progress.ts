/**
 * Progress bars for long CLI work, drawn on a terminal only: when the stream is not a TTY
 * (piped, redirected, CI) nothing at all is written.
 */
import { formatBytes } from '../core/defaults.js'

/** The stream progress is drawn on (stderr in the CLI). */
export interface ProgressStream {
  readonly isTTY?: boolean | undefined
  readonly columns?: number | undefined
  write(text: string): unknown
}

/** How progress is counted. */
export type ProgressUnit = 'bytes' | 'blocks' | 'objects'

/** A progress bar (or, without a total, a counter with elapsed time). */
export class Progress {
  readonly #stream: ProgressStream
  readonly #label: string
  readonly #unit: ProgressUnit
  readonly #started: number
  readonly #now: () => number
  #total: number | undefined
  #done = 0
  #lastDraw = Number.NEGATIVE_INFINITY
  #drawn = false

  constructor(
    stream: ProgressStream,
    label: string,
    options: { unit?: ProgressUnit; total?: number | undefined; now?: () => number } = {},
  ) {
    this.#stream = stream
    this.#label = label
    this.#unit = options.unit ?? 'bytes'
    this.#total = options.total
    this.#now = options.now ?? (() => performance.now())
    this.#started = this.#now()
  }

  /** True when anything is drawn at all. */
  get enabled(): boolean {
    return this.#stream.isTTY === true
  }

  /** Sets the total once known. */
  setTotal(total: number): void {
    this.#total = total
  }

  /** Reports progress; redraws at most 10 times a second. */
  update(done: number): void {
    this.#done = done
    const now = this.#now()
    if (now - this.#lastDraw >= 100) this.#draw(now)
  }

  /** Draws the final state and ends the line. */
  finish(): void {
    if (!this.enabled) return
    this.#draw(this.#now())
    if (this.#drawn) this.#stream.write('\n')
  }

  /** The current line (exposed for tests). */
  render(now = this.#now()): string {
    const seconds = Math.max((now - this.#started) / 1000, 1e-3)
    const amount = (n: number): string =>
      this.#unit === 'bytes' ? formatBytes(n) : `${n} ${this.#unit}`
    const rate = this.#unit === 'bytes' ? `  ${formatBytes(this.#done / seconds)}/s` : ''
    const elapsed = `  ${seconds.toFixed(1)}s`
    if (this.#total === undefined || this.#total <= 0) {
      return `${this.#label} ${amount(this.#done)}${rate}${elapsed}`
    }
    const fraction = Math.min(1, this.#done / this.#total)
    const width = Math.max(10, Math.min(40, (this.#stream.columns ?? 80) - 60))
    const filled = Math.round(fraction * width)
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`
    const pct = `${Math.floor(fraction * 100)}%`.padStart(4)
    return `${this.#label} ${bar} ${pct} ${amount(this.#done)} / ${amount(this.#total)}${rate}${elapsed}`
  }

  #draw(now: number): void {
    if (!this.enabled) return
    this.#lastDraw = now
    this.#drawn = true
    this.#stream.write(`\r\x1b[2K${this.render(now)}`)
  }
}
