/**
 * Loads the effective configuration from its three sources and opens the engine it
 * describes, holding the local store's lock for as long as the engine is open.
 */
import { mkdir } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { BlockStore } from '../core/block-store.js'
import { deduceDefaults, type SystemDetector } from '../core/defaults.js'
import { openBlockStore } from '../engine/open.js'
import { createSystemDetector } from '../platform/system-detector.js'
import { type RawValue, type ResolvedConfig, readConfigFile, resolveConfig } from './config.js'
import type { SettingKey } from './config-schema.js'
import { DataDirLock } from './data-dir-lock.js'
import { toBlockStoreOptions } from './engine-options.js'

/** Sources of {@link loadConfig}. */
export interface LoadConfigOptions {
  readonly flags?: Partial<Record<SettingKey, RawValue>> | undefined
  /** Path of the JSON config file (else `DITTO_CONFIG`; none by default). */
  readonly configFile?: string | undefined
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
  readonly cwd?: string | undefined
  readonly detector?: SystemDetector | undefined
}

/**
 * Resolves the effective configuration (flags > env > file > defaults).
 * @throws {BlockStoreError} BS_INVALID_CONFIG.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<ResolvedConfig> {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const path = options.configFile ?? env.DITTO_CONFIG
  const file =
    path === undefined || path === '' ? undefined : await readConfigFile(resolve(cwd, path))
  return resolveConfig(
    { flags: options.flags, env, file, cwd },
    deduceDefaults(options.detector ?? createSystemDetector()),
  )
}

/** An engine opened from a configuration, with its directory lock. */
export interface ConfiguredEngine extends AsyncDisposable {
  readonly engine: BlockStore
  /** Closes the engine, then releases the lock. */
  close(): Promise<void>
}

/**
 * Locks the local store directory, creates the data directories and opens the engine.
 * @throws {BlockStoreError} BS_BUSY when another process uses the directory; open errors.
 */
export async function openConfiguredEngine(resolved: ResolvedConfig): Promise<ConfiguredEngine> {
  const { config } = resolved
  await mkdir(config.localDir, { recursive: true })
  const lock = await DataDirLock.acquire(config.localDir)
  try {
    if (config.metadataConfig.kind === 'sqlite') {
      await mkdir(dirname(config.metadataConfig.path), { recursive: true })
    }
    const engine = await openBlockStore(toBlockStoreOptions(config))
    const close = async (): Promise<void> => {
      try {
        await engine.close()
      } finally {
        await lock.release()
      }
    }
    return { engine, close, [Symbol.asyncDispose]: close }
  } catch (err) {
    await lock.release()
    throw err
  }
}
