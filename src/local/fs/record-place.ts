/**
 * Where a journal record is, as a block's row names it when the record is the block's copy
 * (docs/design-packs.md): `pack:<generation>:<offset>:<length>` in the row's `localPath`, and
 * the error a record that cannot be read back is reported with.
 */

/** What every `localPath` naming a record starts with. */
export const PLACE_PREFIX = 'pack:'

/** Where a record is: its generation, byte offset and length (the whole record). */
export interface RecordPlace {
  readonly gen: number
  readonly offset: number
  readonly length: number
}

/** The `localPath` a row records for a block whose copy is a record: `pack:<gen>:<offset>:<length>`. */
export function formatPlace(place: RecordPlace): string {
  return `${PLACE_PREFIX}${place.gen}:${place.offset}:${place.length}`
}

/** The place a `localPath` names, or `undefined` when it names a file. */
export function parsePlace(localPath: string): RecordPlace | undefined {
  if (!localPath.startsWith(PLACE_PREFIX)) return undefined
  const parts = localPath.slice(PLACE_PREFIX.length).split(':')
  if (parts.length !== 3) return undefined
  const [gen, offset, length] = parts.map(Number) as [number, number, number]
  const whole = (n: number): boolean => Number.isSafeInteger(n) && n >= 0
  if (!whole(gen) || !whole(offset) || !whole(length) || length === 0) return undefined
  return { gen, offset, length }
}

/** Why a record could not be read back: the caller reports the block as lost, never zeros. */
export class PackReadError extends Error {
  readonly place: RecordPlace

  constructor(place: RecordPlace, reason: string) {
    super(`${formatPlace(place)}: ${reason}`)
    this.name = 'PackReadError'
    this.place = place
  }
}
