/**
 * Store locations written as URLs in the configuration: `s3://bucket/prefix`,
 * `file:///dir`, `sqlite:path`, `postgres://user:pass@host/db`, `memory:`.
 */
import { isAbsolute, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BlockStoreError } from '../core/errors.js'
import type { MetadataConfig, RemoteConfig } from '../engine/options.js'

/** S3 settings that complete an `s3://` remote URL. */
export interface S3Settings {
  readonly endpoint?: string | undefined
  readonly region?: string | undefined
  readonly accessKeyId?: string | undefined
  readonly secretAccessKey?: string | undefined
  readonly forcePathStyle?: boolean | undefined
}

const invalid = (message: string): BlockStoreError =>
  new BlockStoreError('BS_INVALID_CONFIG', message)

/**
 * Parses a remote store URL: `s3://bucket[/prefix]`, `file:///absolute/dir` or `memory:`.
 * @throws {BlockStoreError} BS_INVALID_CONFIG for anything else.
 */
export function parseRemoteUrl(text: string, s3: S3Settings = {}, cwd = '.'): RemoteConfig {
  if (text === 'memory:') return { kind: 'memory' }
  if (text.startsWith('s3://')) {
    const rest = text.slice('s3://'.length)
    const slash = rest.indexOf('/')
    const bucket = slash < 0 ? rest : rest.slice(0, slash)
    const prefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/\/+$/, '')
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw invalid(`remote "${text}": "${bucket}" is not a valid S3 bucket name`)
    }
    return {
      kind: 's3',
      bucket,
      ...(prefix === '' ? {} : { prefix: `${prefix}/` }),
      ...(s3.endpoint === undefined ? {} : { endpoint: s3.endpoint }),
      ...(s3.region === undefined ? {} : { region: s3.region }),
      ...(s3.accessKeyId === undefined ? {} : { accessKeyId: s3.accessKeyId }),
      ...(s3.secretAccessKey === undefined ? {} : { secretAccessKey: s3.secretAccessKey }),
      ...(s3.forcePathStyle === undefined ? {} : { forcePathStyle: s3.forcePathStyle }),
    }
  }
  if (text.startsWith('file:')) {
    let dir: string
    try {
      // `file:relative/dir` is accepted as a convenience; `file:///abs` is the URL form.
      dir = text.startsWith('file://') ? fileURLToPath(text) : resolve(cwd, text.slice(5))
    } catch (err) {
      throw new BlockStoreError('BS_INVALID_CONFIG', `remote "${text}" is not a file URL`, {
        cause: err,
      })
    }
    return { kind: 'fs', dir }
  }
  throw invalid(`remote "${text}": expected s3://bucket/prefix, file:///dir or memory:`)
}

/**
 * Parses a metadata store URL: `sqlite:path` (relative to `cwd`), `postgres://...` or
 * `postgresql://...`, or `memory:` (nothing persists: for tests).
 * @throws {BlockStoreError} BS_INVALID_CONFIG for anything else.
 */
export function parseMetadataUrl(text: string, cwd = '.'): MetadataConfig {
  if (text === 'memory:') return { kind: 'memory' }
  if (text.startsWith('postgres://') || text.startsWith('postgresql://')) {
    return { kind: 'postgres', url: text }
  }
  if (text.startsWith('sqlite:')) {
    const path = text.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '')
    if (path === '') throw invalid(`metadata "${text}": missing the database path`)
    return { kind: 'sqlite', path: isAbsolute(path) ? path : resolve(cwd, path) }
  }
  throw invalid(`metadata "${text}": expected sqlite:<path>, postgres://... or memory:`)
}

/** The URL with any password replaced by `***`, safe to print. */
export function redactUrl(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@')
}
