/**
 * The effective configuration for people (the start-up banner, `ditto-blockstore config`)
 * and for scripts (`--json`). Secrets never appear: tokens and secret keys print as "(set)",
 * URL passwords as `***`.
 */
import { formatBytes } from '../core/defaults.js'
import type { ResolvedConfig, ServeConfig, SettingSource } from './config.js'
import { SETTINGS, type SettingKey } from './config-schema.js'
import { redactUrl } from './store-urls.js'
import { formatDuration } from './units.js'

/** One printed setting. */
export interface PrintedSetting {
  readonly key: SettingKey
  /** The value as printed (redacted); `undefined` when unset. */
  readonly value: string | number | boolean | undefined
  readonly source: SettingSource | 'unset'
}

function shown(config: ServeConfig, key: SettingKey): string | number | boolean | undefined {
  const spec = SETTINGS.find((x) => x.key === key)
  const value = config[key]
  if (value === undefined) return undefined
  if (spec?.secret === true) return '(set)'
  if (key === 'metadata' || key === 'remote') return redactUrl(String(value))
  return value as string | number | boolean
}

/** Every setting with its printable value and source. */
export function printableSettings(resolved: ResolvedConfig): PrintedSetting[] {
  return SETTINGS.map(({ key }) => ({
    key,
    value: shown(resolved.config, key),
    source: resolved.sources[key] ?? 'unset',
  }))
}

function human(key: SettingKey, value: string | number | boolean | undefined): string {
  if (value === undefined) {
    if (key === 'remote') return 'none (local-only)'
    if (key === 'token') return 'none (loopback only)'
    return 'engine default'
  }
  const spec = SETTINGS.find((x) => x.key === key)
  if (typeof value === 'number' && spec?.type === 'size') return `${formatBytes(value)} (${value})`
  if (typeof value === 'number' && spec?.type === 'duration') return formatDuration(value)
  return String(value)
}

/** Human lines: `setting  value  (source)`, then floors hit and warnings. */
export function describeConfig(resolved: ResolvedConfig): string[] {
  const rows = printableSettings(resolved).map(
    (p) => [p.key, human(p.key, p.value), p.source === 'unset' ? '' : `(${p.source})`] as const,
  )
  const w0 = Math.max(...rows.map((r) => r[0].length))
  const w1 = Math.max(...rows.map((r) => r[1].length))
  const lines = rows.map(([k, v, src]) => `  ${k.padEnd(w0)}  ${v.padEnd(w1)}  ${src}`.trimEnd())
  for (const floor of resolved.floorsHit) {
    lines.push(`  floor hit: ${floor} (this machine is small; the floor applies)`)
  }
  for (const warning of resolved.warnings) lines.push(`  warning: ${warning}`)
  return lines
}

/** The JSON form of the effective configuration (`config --json`). */
export function configToJSON(resolved: ResolvedConfig): Record<string, unknown> {
  const settings: Record<string, { value: unknown; source: string }> = {}
  for (const p of printableSettings(resolved)) {
    settings[p.key] = { value: p.value ?? null, source: p.source }
  }
  return { settings, floorsHit: resolved.floorsHit, warnings: resolved.warnings }
}
