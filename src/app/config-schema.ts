/**
 * The one table of server and engine settings: each has a config-file key, a command-line
 * flag and a `DITTO_*` environment variable, so the three sources can never drift apart.
 */

/** How a setting's text is read. */
export type SettingType = 'string' | 'integer' | 'size' | 'duration' | 'boolean' | 'choice'

/** One setting. */
export interface SettingSpec {
  /** Key in the JSON config file (camelCase). */
  readonly key: SettingKey
  /** Command-line flag without the leading dashes (kebab-case). */
  readonly flag: string
  /** Environment variable. */
  readonly env: string
  readonly type: SettingType
  readonly choices?: readonly string[]
  /** Never printed or logged (tokens, secret keys). */
  readonly secret?: boolean
  /** Only the HTTP server uses it (commands on a data directory refuse the flag). */
  readonly serverOnly?: boolean
  readonly description: string
}

/** Every setting's key. */
export type SettingKey =
  | 'host'
  | 'port'
  | 'token'
  | 'dataDir'
  | 'localDir'
  | 'localMaxDisk'
  | 'localMaxMemory'
  | 'fsync'
  | 'remote'
  | 's3Endpoint'
  | 's3Region'
  | 's3AccessKeyId'
  | 's3SecretAccessKey'
  | 's3ForcePathStyle'
  | 'metadata'
  | 'retention'
  | 'retentionTtl'
  | 'durability'
  | 'readBuffer'
  | 'prefetchWorkers'
  | 'parallelUploads'
  | 'parallelFetches'
  | 'uploadInterval'
  | 'uploadDelay'
  | 'shutdownTimeout'
  | 'maxBody'

const s = (
  key: SettingKey,
  type: SettingType,
  description: string,
  extra: Partial<Pick<SettingSpec, 'choices' | 'secret' | 'serverOnly'>> = {},
): SettingSpec => {
  const flag = key.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)
  const env = `DITTO_${flag.replace(/-/g, '_').toUpperCase()}`
  return { key, flag, env, type, description, ...extra }
}

/** The settings, in the order they are printed. */
export const SETTINGS: readonly SettingSpec[] = [
  s('host', 'string', 'address to listen on (non-loopback requires a token)', { serverOnly: true }),
  s('port', 'integer', 'TCP port, 0: any free port (default 7474)', { serverOnly: true }),
  s('token', 'string', 'bearer token clients must send', { secret: true, serverOnly: true }),
  s('dataDir', 'string', 'directory of the embedded stores (default ./data)'),
  s('localDir', 'string', 'block files directory (default <data-dir>/blocks)'),
  s('localMaxDisk', 'size', 'local disk cap (default deduced: 25% of memory)'),
  s('localMaxMemory', 'size', 'dirty-buffer memory budget (default deduced)'),
  s('fsync', 'boolean', 'fsync block files on flush (default on)'),
  s('remote', 'string', 'remote store: s3://bucket/prefix or file:///dir (default none)'),
  s('s3Endpoint', 'string', 'S3 endpoint URL (default AWS)'),
  s('s3Region', 'string', 'S3 region'),
  s('s3AccessKeyId', 'string', 'S3 access key ID'),
  s('s3SecretAccessKey', 'string', 'S3 secret access key', { secret: true }),
  s('s3ForcePathStyle', 'boolean', 'S3 path-style addressing'),
  s('metadata', 'string', 'metadata store: sqlite:<path> or postgres://... URL'),
  s('retention', 'choice', 'retention of synced local blocks', { choices: ['lru', 'ttl', 'pin'] }),
  s('retentionTtl', 'duration', 'TTL of synced local blocks under retention ttl'),
  s('durability', 'choice', 'flush returns once durable locally or remotely', {
    choices: ['local', 'remote'],
  }),
  s('readBuffer', 'size', 'read buffer size, 0 disables (default deduced)'),
  s('prefetchWorkers', 'integer', 'prefetch workers, 0 disables (default 4)'),
  s('parallelUploads', 'integer', 'uploads in flight (default deduced)'),
  s('parallelFetches', 'integer', 'remote reads in flight (default deduced)'),
  s('uploadInterval', 'duration', 'period of the background upload pass (default 1s)'),
  s('uploadDelay', 'duration', 'a flushed block is uploaded once idle this long (default 2s)'),
  s(
    'shutdownTimeout',
    'duration',
    'how long shutdown waits for requests and uploads (default 30s)',
  ),
  s('maxBody', 'size', 'largest request body accepted (default 64GiB)'),
]

/** Looks a setting up by key. */
export function settingSpec(key: SettingKey): SettingSpec {
  const spec = SETTINGS.find((x) => x.key === key)
  if (spec === undefined) throw new RangeError(`unknown setting ${key}`)
  return spec
}
