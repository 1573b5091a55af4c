/**
 * The effective configuration for people (the start-up banner, `ditto-blockstore config`)
 * and for scripts (`--json`). Each setting is named by its flag (`parallel-uploads`), shows
 * the value the engine runs with and where it came from. Secrets never appear: tokens and
 * secret keys print as "(set)", URL passwords as `***`.
 */

import { formatDuration, formatSize } from '../core/units.js'
import { isLoopbackHost } from '../server/auth.js'
import type { ResolvedConfig, ServeConfig, SettingSource } from './config.js'
import { SETTINGS, type SettingKey } from './config-schema.js'
import { redactUrl } from './store-urls.js'

/** Where a printed value came from: a resolution source, generated at start, or unset. */
export type PrintedSource = SettingSource | 'generated' | 'unset'

/** One printed setting. */
export interface PrintedSetting {
  readonly key: SettingKey
  /** The command-line flag without dashes, the name people type. */
  readonly flag: string
  /** The value as printed (redacted); `undefined` when unset. */
  readonly value: string | number | boolean | undefined
  readonly source: PrintedSource
}

function shown(config: ServeConfig, key: SettingKey): string | number | boolean | undefined {
  const spec = SETTINGS.find((x) => x.key === key)
  const value = config[key]
  if (value === undefined) return undefined
  if (spec?.secret === true) return '(set)'
  if (key === 'metadata' || key === 'remote') return redactUrl(String(value))
  return value as string | number | boolean
}

/** True when the server will make up a token: no token given and a non-loopback host. */
function tokenGenerated(config: ServeConfig): boolean {
  return (config.token === undefined || config.token === '') && !isLoopbackHost(config.host)
}

/** Every setting with its printable value and source. */
export function printableSettings(resolved: ResolvedConfig): PrintedSetting[] {
  const { config } = resolved
  return SETTINGS.map(({ key, flag }) => {
    if (key === 'token' && tokenGenerated(config)) {
      return { key, flag, value: '(generated)', source: 'generated' as const }
    }
    return { key, flag, value: shown(config, key), source: resolved.sources[key] ?? 'unset' }
  })
}

const S3_KEYS: readonly SettingKey[] = [
  's3Endpoint',
  's3Region',
  's3AccessKeyId',
  's3SecretAccessKey',
  's3ForcePathStyle',
]

/** What an unset setting means, or `undefined` when it does not matter here. */
function unsetMeaning(key: SettingKey, config: ServeConfig): string | undefined {
  const s3 = config.remote?.startsWith('s3://') === true
  switch (key) {
    case 'remote':
      return 'none (local-only)'
    case 'token':
      return 'none (loopback only: no authentication)'
    case 'retentionTtl':
      return undefined
    case 's3Endpoint':
      return s3 ? 'AWS (SDK default)' : undefined
    case 's3ForcePathStyle':
      return s3 ? 'no (SDK default)' : undefined
    default:
      return S3_KEYS.includes(key) && s3 ? 'from the AWS environment (SDK default)' : undefined
  }
}

function human(p: PrintedSetting, config: ServeConfig): string | undefined {
  if (p.source === 'generated') {
    return 'generated at start, printed once'
  }
  if (p.value === undefined) return unsetMeaning(p.key, config)
  const spec = SETTINGS.find((x) => x.key === p.key)
  if (typeof p.value === 'number' && spec?.type === 'size') return formatSize(p.value)
  if (typeof p.value === 'number' && spec?.type === 'duration') return formatDuration(p.value)
  if (typeof p.value === 'boolean') return p.value ? 'on' : 'off'
  return String(p.value)
}

const SOURCE_TEXT: Readonly<Record<PrintedSource, string>> = {
  flag: '(flag)',
  env: '(environment)',
  file: '(config file)',
  default: '(default)',
  deduced: '(deduced from this machine)',
  generated: '(the host is not loopback)',
  unset: '',
}

/**
 * Human lines: `flag  value  (source)`, then floors hit and warnings. Settings that do not
 * apply (S3 details without an S3 remote, a TTL under another retention) are left out.
 */
export function describeConfig(resolved: ResolvedConfig): string[] {
  const { config } = resolved
  const rows: (readonly [string, string, string])[] = []
  for (const p of printableSettings(resolved)) {
    const value = human(p, config)
    if (value === undefined) continue
    const source =
      p.source === 'env'
        ? `(environment ${SETTINGS.find((x) => x.key === p.key)?.env})`
        : SOURCE_TEXT[p.source]
    rows.push([p.flag, value, source])
  }
  const w0 = Math.max(...rows.map((r) => r[0].length))
  // A long value (a path, a URL) overflows its column rather than push every source away.
  const w1 = Math.min(32, Math.max(...rows.map((r) => r[1].length)))
  const lines = rows.map(([k, v, src]) => `  ${k.padEnd(w0)}  ${v.padEnd(w1)}  ${src}`.trimEnd())
  for (const floor of resolved.floorsHit) {
    lines.push(`  floor hit: ${floor} (this machine is small; the floor applies)`)
  }
  for (const warning of resolved.warnings) lines.push(`  warning: ${warning}`)
  return lines
}

/** The JSON form of the effective configuration (`config --json`), keyed by file key. */
export function configToJSON(resolved: ResolvedConfig): Record<string, unknown> {
  const settings: Record<string, { flag: string; value: unknown; source: string }> = {}
  for (const p of printableSettings(resolved)) {
    settings[p.key] = { flag: p.flag, value: p.value ?? null, source: p.source }
  }
  return { settings, floorsHit: resolved.floorsHit, warnings: resolved.warnings }
}
