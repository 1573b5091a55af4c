/**
 * Record format of the flush journal (see flush-journal.ts). One record holds the whole valid
 * content of one small block as a flush made it durable, and the payload record that flush
 * stores:
 *
 *   magic u32 | length u32 | sha256 [32] | generation u32 | blockIdx u32 | dataSize u32 |
 *   idLength u16 | payloadSize f64 | modifiedAt f64 | payload ID (UTF-8) | data
 *
 * little-endian; `length` counts the whole record and the digest covers everything after it.
 * The payload fields exist because a journaled flush does not wait for its metadata commit
 * to be durable: after a kill the record is the only durable trace of that commit, and the
 * replay redoes it. Records of the first format ("DJR1", written by versions that waited for
 * the commit) have no payload fields and are still read.
 *
 * A reader stops at the first record that does not check out: appends are ordered, so only
 * the tail that a crash cut short can be damaged, and nothing after it was acknowledged.
 */
import { createHash } from 'node:crypto'
import type { JournaledBlock } from '../common/state/block-medium.js'

const MAGIC_V1 = 0x31524a44 // "DJR1" little-endian
const MAGIC = 0x32524a44 // "DJR2"
const MAGIC_RESET = 0x33524a44 // "DJR3"
const DIGEST_AT = 8
const BODY_AT = DIGEST_AT + 32
const FIXED_V1 = BODY_AT + 4 + 4 + 4 + 2
const FIXED = FIXED_V1 + 8 + 8

/**
 * One decoded record: the whole valid content of one block, and the payload record of its
 * flush (absent in first-format records).
 */
export interface JournalRecord {
  readonly payloadId: string
  readonly blockIdx: number
  readonly data: Uint8Array
  readonly payloadSize?: number | undefined
  readonly modifiedAt?: number | undefined
  /** The payload's whole content from here on (a "DJR3" record). */
  readonly reset?: boolean | undefined
}

/** Encodes one record of journal generation `generation`. */
export function encodeRecord(generation: number, rec: JournaledBlock): Buffer {
  const id = Buffer.from(rec.payloadId, 'utf8')
  const out = Buffer.allocUnsafe(FIXED + id.length + rec.data.length)
  out.writeUInt32LE(rec.reset === true ? MAGIC_RESET : MAGIC, 0)
  out.writeUInt32LE(out.length, 4)
  let at = BODY_AT
  at = out.writeUInt32LE(generation, at)
  at = out.writeUInt32LE(rec.blockIdx, at)
  at = out.writeUInt32LE(rec.data.length, at)
  at = out.writeUInt16LE(id.length, at)
  at = out.writeDoubleLE(rec.payloadSize, at)
  at = out.writeDoubleLE(rec.modifiedAt, at)
  at += id.copy(out, at)
  out.set(rec.data, at)
  createHash('sha256').update(out.subarray(BODY_AT)).digest().copy(out, DIGEST_AT)
  return out
}

/**
 * Decodes the valid prefix of a journal file of generation `generation`: the records up to the
 * first one that is cut short, fails its digest or belongs to another generation.
 */
export function decodeRecords(generation: number, file: Buffer): JournalRecord[] {
  const out: JournalRecord[] = []
  scan(file, (gen, rec) => {
    if (gen !== generation) return false
    out.push(rec)
    return true
  })
  return out
}

/**
 * The record that is exactly `bytes` (one record of generation `generation`, as a pack keeps
 * it), or `undefined` when they are not that: cut short, damaged, or of another generation.
 */
export function decodeRecordAt(generation: number, bytes: Buffer): JournalRecord | undefined {
  let found: JournalRecord | undefined
  let end = 0
  scan(bytes, (gen, rec, length) => {
    if (gen === generation) {
      found = rec
      end = length
    }
    return false
  })
  return end === bytes.length ? found : undefined
}

/** Length of the record whose first 8 bytes are `head`; 0 when they are not a record's. */
export function recordLength(head: Buffer): number {
  if (head.length < 8 || fixedLength(head.readUInt32LE(0)) === 0) return 0
  return head.readUInt32LE(4)
}

/** Length of the fixed part of a record with this magic; 0 for anything else. */
function fixedLength(magic: number): number {
  if (magic === MAGIC || magic === MAGIC_RESET) return FIXED
  return magic === MAGIC_V1 ? FIXED_V1 : 0
}

/**
 * The highest generation among the valid records at the start of a file (0 when none): a file
 * is always written from its start, so its latest use's records come first and carry the
 * highest generation in it.
 */
export function highestGeneration(file: Buffer): number {
  let max = 0
  scan(file, (gen) => {
    max = Math.max(max, gen)
    return true
  })
  return max
}

/** Calls `visit` on each valid record from the start until one is not valid or it says stop. */
function scan(
  file: Buffer,
  visit: (generation: number, rec: JournalRecord, length: number) => boolean,
): void {
  let at = 0
  while (at + FIXED_V1 <= file.length) {
    const fixed = fixedLength(file.readUInt32LE(at))
    if (fixed === 0 || at + fixed > file.length) break
    const length = file.readUInt32LE(at + 4)
    if (length < fixed || at + length > file.length) break
    const rec = file.subarray(at, at + length)
    const digest = createHash('sha256').update(rec.subarray(BODY_AT)).digest()
    if (!digest.equals(rec.subarray(DIGEST_AT, BODY_AT))) break
    const gen = rec.readUInt32LE(BODY_AT)
    const blockIdx = rec.readUInt32LE(BODY_AT + 4)
    const dataSize = rec.readUInt32LE(BODY_AT + 8)
    const idLength = rec.readUInt16LE(BODY_AT + 12)
    if (fixed + idLength + dataSize !== length) break
    const payloadId = rec.toString('utf8', fixed, fixed + idLength)
    const data = rec.subarray(fixed + idLength)
    const reset = rec.readUInt32LE(0) === MAGIC_RESET
    const record: JournalRecord =
      fixed === FIXED
        ? {
            payloadId,
            blockIdx,
            data,
            payloadSize: rec.readDoubleLE(FIXED_V1),
            modifiedAt: rec.readDoubleLE(FIXED_V1 + 8),
            ...(reset ? { reset } : {}),
          }
        : { payloadId, blockIdx, data }
    if (!visit(gen, record, length)) break
    at += length
  }
}
