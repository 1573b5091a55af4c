/**
 * The strict check of whole-payload replacements in the crash campaign: a replacement cut by a
 * kill must read back as entirely its new bytes, or as a state the payload could have had
 * before it began (never a mix of both, never empty, never a ghost of a new ID).
 */
import type { Allowed, PayloadModel } from './crash-model.js'
import { UNIT } from './pattern.js'

/** A deep copy of what was allowed of a payload (taken when a replacement begins). */
export function cloneAllowed(a: Allowed): Allowed {
  const extra = new Map<number, Set<number>>()
  for (const [u, tags] of a.extra) extra.set(u, new Set(tags))
  return { exists: new Set(a.exists), sizes: new Set(a.sizes), extra }
}

/**
 * Why `observed` is not a state the payload could have had before a replacement began (with
 * what was allowed then), or `undefined` when it is one.
 */
export function notOld(
  observed: PayloadModel,
  acked: PayloadModel,
  before: Allowed,
): string | undefined {
  if (!before.exists.has(observed.exists)) {
    return `exists=${observed.exists} but not new content (old: exists ${[...before.exists].join(',')})`
  }
  if (!observed.exists) return undefined
  const sizes = [...before.sizes]
  if (observed.size < Math.min(...sizes) || observed.size > Math.max(...sizes)) {
    return `size ${observed.size} is neither new nor old (old ${sizes.join(',')})`
  }
  for (let u = 0; u < observed.size / UNIT; u++) {
    const tag = observed.tags[u]
    if (tag !== acked.tags[u] && before.extra.get(u)?.has(tag ?? 0) !== true) {
      return `unit ${u} holds tag ${tag}, neither new nor old content`
    }
  }
  return undefined
}

/**
 * Why a replacement (`tag`, `len` bytes) cut by a kill reads back wrong, or `undefined`: any
 * unit of its bytes means all of them at exactly its size; none means the old content.
 */
export function checkCutReplacement(
  observed: PayloadModel,
  acked: PayloadModel,
  cut: { readonly tag: number; readonly len: number; readonly before: Allowed },
): string | undefined {
  let hits = 0
  for (let u = 0; u < observed.size / UNIT; u++) if (observed.tags[u] === cut.tag) hits++
  if (hits === 0) return notOld(observed, acked, cut.before)
  if (observed.size !== cut.len || hits !== cut.len / UNIT) {
    return `reads as a mix: ${hits} of ${cut.len / UNIT} units new, size ${observed.size}`
  }
  return undefined
}
