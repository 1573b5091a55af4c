/**
 * Checks the engine's short local-tier config and maps it onto the store's options. One
 * name per knob from the server's settings to the store: earlier names are still accepted
 * (with a one-time DeprecationWarning, so code written against 0.1 keeps running), and an
 * option that does not apply to the kind is an error instead of being silently dropped.
 */
import { BlockStoreError } from '../core/errors.js'
import type { LocalConfig } from './options.js'

/** The limits of a local config under their current names, `undefined` when not given. */
export interface LocalLimits {
  readonly maxDisk: number | undefined
  readonly maxMemory: number | undefined
}

/** Options each kind takes; anything else given a value is refused. */
const APPLIES: Readonly<Record<LocalConfig['kind'], readonly string[]>> = {
  fs: [
    'kind',
    'dir',
    'maxDisk',
    'maxMemory',
    'maxDiskBytes',
    'maxMemoryBytes',
    'fsync',
    'spaceWaitMs',
    'packs',
  ],
  memory: ['kind', 'maxDisk', 'maxMemoryBytes', 'spaceWaitMs'],
}

/** Why an option does not apply, where the reason is not obvious from its name. */
const HINTS: Readonly<Record<string, string>> = {
  'memory.maxMemory':
    'a memory store has no separate dirty-buffer budget; its cap on the bytes it holds is maxDisk',
  'memory.dir': 'a memory store has no directory',
  'memory.fsync': 'a memory store writes no files',
  'memory.packs': 'a memory store writes no files',
}

const warned = new Set<string>()

/** Emits one DeprecationWarning per process for each earlier name used. */
function deprecated(kind: string, old: string, current: string): void {
  const key = `${kind}.${old}`
  if (warned.has(key)) return
  warned.add(key)
  process.emitWarning(
    `local.${old} is deprecated: use local.${current} (same meaning for a local store of kind "${kind}")`,
    { type: 'DeprecationWarning', code: 'DITTO_DEP_LOCAL_OPTION' },
  )
}

/** Takes `current`, or its earlier name `old` with a warning; both at once is an error. */
function renamed(
  c: Readonly<Record<string, unknown>>,
  current: string,
  old: string,
): number | undefined {
  const now = c[current] as number | undefined
  const before = c[old] as number | undefined
  if (before === undefined) return now
  if (now !== undefined) {
    throw new BlockStoreError(
      'BS_INVALID_CONFIG',
      `local.${old} is the deprecated name of local.${current}: give only local.${current}`,
    )
  }
  deprecated(String(c.kind), old, current)
  return before
}

/**
 * The limits of `config` under their current names.
 * @throws {BlockStoreError} BS_INVALID_CONFIG when an option does not apply to the kind, or a
 * limit is given under both its name and its deprecated one.
 */
export function localLimits(config: LocalConfig): LocalLimits {
  const c = config as unknown as Readonly<Record<string, unknown>>
  const applies = APPLIES[config.kind] as readonly string[] | undefined
  // An unknown kind is refused by the caller, which knows the kinds it can open.
  if (applies === undefined) return { maxDisk: undefined, maxMemory: undefined }
  for (const [key, value] of Object.entries(c)) {
    // Left undefined by a spread of optional fields: not given.
    if (value === undefined || applies.includes(key)) continue
    const hint = HINTS[`${config.kind}.${key}`]
    throw new BlockStoreError(
      'BS_INVALID_CONFIG',
      `local.${key} does not apply to a local store of kind "${config.kind}"${hint === undefined ? '' : `: ${hint}`}`,
    )
  }
  if (config.kind === 'memory') {
    return { maxDisk: renamed(c, 'maxDisk', 'maxMemoryBytes'), maxMemory: undefined }
  }
  return {
    maxDisk: renamed(c, 'maxDisk', 'maxDiskBytes'),
    maxMemory: renamed(c, 'maxMemory', 'maxMemoryBytes'),
  }
}
