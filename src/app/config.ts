/**
 * The effective configuration of `serve` and of the CLI's direct mode: flags over
 * environment over config file over defaults, with the source of every value kept so the
 * start-up banner can say where each one came from.
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { DefaultUploadDelayMs, DefaultUploadIntervalMs } from '../core/constants.js'
import type { DeducedDefaults } from '../core/defaults.js'
import { BlockStoreError } from '../core/errors.js'
import { type RetentionPolicy, validateRetentionPolicy } from '../core/retention.js'
import { parseDuration, parseSize } from '../core/units.js'
import type { MetadataConfig, RemoteConfig } from '../engine/options.js'
import {
  DefaultMaxBody,
  DefaultPort,
  DefaultShutdownTimeoutMs,
} from '../server/block-store-server.js'
import { SETTINGS, type SettingKey, type SettingSpec } from './config-schema.js'
import { parseMetadataUrl, parseRemoteUrl } from './store-urls.js'

/** Deduced sizing labels (`deduceDefaults`) by the flag of the setting they size. */
const FLOOR_FLAGS: Readonly<Record<string, string>> = {
  local_store_size: 'local-max-disk',
  read_buffer_size: 'read-buffer',
  parallel_syncs: 'parallel-uploads',
  parallel_fetches: 'parallel-fetches',
}
const FLOOR_KEYS: Readonly<Record<string, SettingKey>> = {
  local_store_size: 'localMaxDisk',
  read_buffer_size: 'readBuffer',
  parallel_syncs: 'parallelUploads',
  parallel_fetches: 'parallelFetches',
}

/** Where a value came from. */
export type SettingSource = 'flag' | 'env' | 'file' | 'default' | 'deduced'

/** A setting's value as read from one source, before coercion. */
export type RawValue = string | number | boolean

/** The raw inputs of {@link resolveConfig}. */
export interface ConfigInputs {
  /** Flag values by setting key (already mapped from kebab-case). */
  readonly flags?: Partial<Record<SettingKey, RawValue>> | undefined
  /** The process environment (only `DITTO_*` names are read). */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
  /** Parsed JSON config file. */
  readonly file?: Readonly<Record<string, unknown>> | undefined
  /** Directory relative paths are resolved against. */
  readonly cwd?: string | undefined
}

/** Every setting after resolution. Optional ones left unset keep the engine's default. */
export interface ServeConfig {
  readonly host: string
  readonly port: number
  readonly token?: string | undefined
  readonly dataDir: string
  readonly localDir: string
  readonly localMaxDisk: number
  readonly localMaxMemory: number
  readonly fsync: boolean
  /** The remote URL as given (undefined: local-only). */
  readonly remote?: string | undefined
  readonly remoteConfig?: RemoteConfig | undefined
  readonly s3Endpoint?: string | undefined
  readonly s3Region?: string | undefined
  readonly s3AccessKeyId?: string | undefined
  readonly s3SecretAccessKey?: string | undefined
  readonly s3ForcePathStyle?: boolean | undefined
  readonly metadata: string
  readonly metadataConfig: MetadataConfig
  readonly retention: RetentionPolicy
  readonly retentionTtl?: number | undefined
  readonly durability: 'local' | 'remote'
  readonly readBuffer: number
  readonly prefetchWorkers: number
  readonly parallelUploads: number
  readonly parallelFetches: number
  readonly uploadInterval: number
  readonly uploadDelay: number
  readonly shutdownTimeout: number
  readonly maxBody: number
}

/** A resolved configuration with provenance and notes. */
export interface ResolvedConfig {
  readonly config: ServeConfig
  /** Source of every setting that has a value. */
  readonly sources: Readonly<Partial<Record<SettingKey, SettingSource>>>
  /**
   * Deduced values clamped to their floors, named by their flag (`parallel-uploads floored
   * at 4`); only those in effect (not overridden by a flag, env or file).
   */
  readonly floorsHit: readonly string[]
  /** Settings that were given but have no effect. */
  readonly warnings: readonly string[]
}

function coerce(spec: SettingSpec, raw: RawValue, origin: string): unknown {
  const name = `${spec.key} (${origin})`
  const text = String(raw).trim()
  switch (spec.type) {
    case 'string':
      return text
    case 'integer': {
      const n = typeof raw === 'number' ? raw : /^-?\d+$/.test(text) ? Number(text) : Number.NaN
      if (!Number.isSafeInteger(n) || n < 0) {
        throw new BlockStoreError('BS_INVALID_CONFIG', `${name}: "${text}" is not an integer >= 0`)
      }
      return n
    }
    case 'size':
      return typeof raw === 'number' ? parseSize(String(raw), name) : parseSize(text, name)
    case 'duration':
      return parseDuration(text, name)
    case 'boolean': {
      if (raw === true || /^(1|true|yes|on)$/i.test(text)) return true
      if (raw === false || /^(0|false|no|off)$/i.test(text)) return false
      throw new BlockStoreError('BS_INVALID_CONFIG', `${name}: "${text}" is not a boolean`)
    }
    case 'choice': {
      const lower = text.toLowerCase()
      if (spec.choices?.includes(lower) !== true) {
        throw new BlockStoreError(
          'BS_INVALID_CONFIG',
          `${name}: "${text}" must be one of ${spec.choices?.join(', ')}`,
        )
      }
      return lower
    }
  }
}

/**
 * Resolves settings with precedence flags > env > file > defaults; `deduced` supplies the
 * machine-derived sizes. Pure apart from path resolution.
 * @throws {BlockStoreError} BS_INVALID_CONFIG naming the offending setting and its source.
 */
export function resolveConfig(inputs: ConfigInputs, deduced: DeducedDefaults): ResolvedConfig {
  const cwd = inputs.cwd ?? process.cwd()
  const file = inputs.file ?? {}
  const known = new Set<string>(SETTINGS.map((x) => x.key))
  for (const key of Object.keys(file)) {
    if (!known.has(key)) {
      throw new BlockStoreError('BS_INVALID_CONFIG', `config file: unknown setting "${key}"`)
    }
  }
  const values: Partial<Record<SettingKey, unknown>> = {}
  const sources: Partial<Record<SettingKey, SettingSource>> = {}
  for (const spec of SETTINGS) {
    const candidates: [SettingSource, unknown, string][] = [
      ['flag', inputs.flags?.[spec.key], `--${spec.flag}`],
      ['env', inputs.env?.[spec.env], spec.env],
      ['file', file[spec.key], `config file "${spec.key}"`],
    ]
    for (const [source, raw, origin] of candidates) {
      if (raw === undefined || raw === null || raw === '') continue
      if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
        throw new BlockStoreError('BS_INVALID_CONFIG', `${origin}: expected a string or number`)
      }
      values[spec.key] = coerce(spec, raw, origin)
      sources[spec.key] = source
      break
    }
  }
  const pick = <T>(key: SettingKey, fallback: T, source: SettingSource = 'default'): T => {
    if (values[key] !== undefined) return values[key] as T
    if (fallback !== undefined) sources[key] = source
    return fallback
  }
  const optional = <T>(key: SettingKey): T | undefined => values[key] as T | undefined

  const dataDir = resolve(cwd, pick('dataDir', './data'))
  const s3 = {
    endpoint: optional<string>('s3Endpoint'),
    region: optional<string>('s3Region'),
    accessKeyId: optional<string>('s3AccessKeyId'),
    secretAccessKey: optional<string>('s3SecretAccessKey'),
    forcePathStyle: optional<boolean>('s3ForcePathStyle'),
  }
  const remote = optional<string>('remote')
  const metadata = pick('metadata', `sqlite:${resolve(dataDir, 'meta.db')}`)
  const retention = pick<RetentionPolicy>('retention', 'lru')
  const retentionTtl = optional<number>('retentionTtl')
  const port = pick('port', DefaultPort)
  const warnings: string[] = []
  if (port > 65535) throw new BlockStoreError('BS_INVALID_CONFIG', `port ${port} is above 65535`)
  validateRetentionPolicy(retention, retentionTtl ?? 0)
  if (retentionTtl !== undefined && retention !== 'ttl') {
    warnings.push(`retentionTtl is ignored under retention "${retention}"`)
  }
  const s3Given = Object.entries(s3).filter(([, v]) => v !== undefined)
  if (s3Given.length > 0 && remote?.startsWith('s3://') !== true) {
    warnings.push(`S3 settings (${s3Given.map(([k]) => k).join(', ')}) ignored: no s3:// remote`)
  }
  const config: ServeConfig = {
    host: pick('host', '127.0.0.1'),
    port,
    token: optional('token'),
    dataDir,
    localDir: resolve(cwd, pick('localDir', resolve(dataDir, 'blocks'))),
    localMaxDisk: pick('localMaxDisk', deduced.localStoreSize, 'deduced'),
    localMaxMemory: pick('localMaxMemory', deduced.maxPendingSize, 'deduced'),
    fsync: pick('fsync', true),
    remote,
    remoteConfig: remote === undefined ? undefined : parseRemoteUrl(remote, s3, cwd),
    s3Endpoint: s3.endpoint,
    s3Region: s3.region,
    s3AccessKeyId: s3.accessKeyId,
    s3SecretAccessKey: s3.secretAccessKey,
    s3ForcePathStyle: s3.forcePathStyle,
    metadata,
    metadataConfig: parseMetadataUrl(metadata, cwd),
    retention,
    retentionTtl,
    durability: pick('durability', 'local'),
    readBuffer: pick('readBuffer', deduced.readBufferSize, 'deduced'),
    prefetchWorkers: pick('prefetchWorkers', deduced.prefetchWorkers),
    parallelUploads: pick('parallelUploads', deduced.parallelSyncs, 'deduced'),
    parallelFetches: pick('parallelFetches', deduced.parallelFetches, 'deduced'),
    // The engine's own defaults, passed explicitly so what `config` and the start-up banner
    // print is exactly what runs.
    uploadInterval: pick('uploadInterval', DefaultUploadIntervalMs),
    uploadDelay: pick('uploadDelay', DefaultUploadDelayMs),
    shutdownTimeout: pick('shutdownTimeout', DefaultShutdownTimeoutMs),
    maxBody: pick('maxBody', DefaultMaxBody),
  }
  const floorsHit = deduced.hitFloors().flatMap((text) => {
    const label = Object.keys(FLOOR_FLAGS).find((l) => text.startsWith(`${l} `))
    if (label === undefined) return [text]
    if (sources[FLOOR_KEYS[label]!] !== 'deduced') return []
    return [`${FLOOR_FLAGS[label]}${text.slice(label.length)}`]
  })
  return { config, sources, floorsHit, warnings }
}

/**
 * Reads a JSON config file (an object of settings by their file keys).
 * @throws {BlockStoreError} BS_INVALID_CONFIG when unreadable or not a JSON object.
 */
export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new BlockStoreError('BS_INVALID_CONFIG', `cannot read config file ${path}`, {
      cause: err,
    })
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new BlockStoreError('BS_INVALID_CONFIG', `config file ${path} is not valid JSON`, {
      cause: err,
    })
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BlockStoreError('BS_INVALID_CONFIG', `config file ${path} must hold a JSON object`)
  }
  return parsed as Record<string, unknown>
}
