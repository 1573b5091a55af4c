/**
 * Human units for configuration values: sizes (`512MiB`, `8g`, `10GB`) and durations
 * (`30s`, `500ms`, `2h`). Every parser rejects anything it does not fully understand.
 */
import { BlockStoreError } from './errors.js'

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
}

function parseWithUnits(
  text: string,
  units: Readonly<Record<string, number>>,
  what: string,
  name: string,
): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text)
  const unit = units[match?.[2]?.toLowerCase() ?? '\0']
  const value = match === null || unit === undefined ? Number.NaN : Number(match[1]) * unit
  if (!Number.isSafeInteger(Math.round(value)) || !Number.isFinite(value)) {
    throw new BlockStoreError('BS_INVALID_CONFIG', `${name}: "${text}" is not a valid ${what}`)
  }
  return Math.round(value)
}

/**
 * Parses a size: a non-negative number with an optional unit (B, K/KiB, M/MiB, G/GiB, T/TiB
 * are powers of 1024; KB, MB, GB, TB powers of 1000). Bare numbers are bytes.
 * @throws {BlockStoreError} BS_INVALID_CONFIG naming `name`.
 */
export function parseSize(text: string, name = 'size'): number {
  return parseWithUnits(text, SIZE_UNITS, 'size (e.g. 512MiB, 8GiB)', name)
}

/**
 * Parses a duration: a non-negative number with an optional unit (ms, s, m, h, d). Bare
 * numbers are milliseconds.
 * @throws {BlockStoreError} BS_INVALID_CONFIG naming `name`.
 */
export function parseDuration(text: string, name = 'duration'): number {
  return parseWithUnits(text, DURATION_UNITS, 'duration (e.g. 500ms, 30s, 2h)', name)
}

/** A duration in ms for humans: `250ms`, `30s`, `2m`, `1.5h`, `3d`. */
export function formatDuration(ms: number): string {
  if (ms < 1000 || ms % 1000 !== 0) return `${ms}ms`
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
  ] as const) {
    if (ms >= size && ms % (size / 10) === 0) return `${ms / size}${unit}`
  }
  return `${ms / 1000}s`
}

/**
 * A byte count for people, in the unit that keeps it short: `0 B`, `512 B`, `4 KiB`,
 * `3.2 MiB`, `1.5 GiB`, `2 TiB` (powers of 1024; at most one decimal).
 */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes)
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  if (Math.abs(bytes) < 1024) return `${bytes} B`
  let value = bytes / 1024
  let i = 0
  while (Math.abs(value) >= 1024 && i < units.length - 1) {
    value /= 1024
    i++
  }
  return `${value.toFixed(1).replace(/\.0$/, '')} ${units[i]}`
}

/**
 * An elapsed time for people, rounded to its largest unit: `850 ms`, `12 s`, `4 min 5 s`,
 * `3 h 20 min`, `2 d 4 h`.
 */
export function formatElapsed(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return String(ms)
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s} s`
  const pairs: [number, string, number, string][] = [
    [86_400, 'd', 3600, 'h'],
    [3600, 'h', 60, 'min'],
    [60, 'min', 1, 's'],
  ]
  for (const [big, bigName, small, smallName] of pairs) {
    if (s >= big) {
      const rest = Math.floor((s % big) / small)
      return `${Math.floor(s / big)} ${bigName}${rest > 0 ? ` ${rest} ${smallName}` : ''}`
    }
  }
  return `${s} s`
}
