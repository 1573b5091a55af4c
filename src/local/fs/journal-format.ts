/**
 * Record format of the flush journal (see flush-journal.ts). One record holds the whole valid
 * content of one small block as a flush made it durable:
 *
 *   magic u32 | length u32 | sha256 [32] | generation u32 | blockIdx u32 | dataSize u32 |
 *   idLength u16 | payload ID (UTF-8) | data
 *
 * little-endian; `length` counts the whole record and the digest covers everything after it.
 * A reader stops at the first record that does not check out: appends are ordered, so only
 * the tail that a crash cut short can be damaged, and nothing after it was acknowledged.
 */
import { createHash } from 'node:crypto'
import type { JournaledBlock } from '../common/block-medium.js'

const MAGIC = 0x31524a44 // "DJR1" little-endian
const DIGEST_AT = 8
const BODY_AT = DIGEST_AT + 32
const FIXED = BODY_AT + 4 + 4 + 4 + 2

/** One record: the whole valid content of one block. */
export type JournalRecord = JournaledBlock

/** Encodes one record of journal generation `generation`. */
export function encodeRecord(generation: number, rec: JournalRecord): Buffer {
  const id = Buffer.from(rec.payloadId, 'utf8')
  const out = Buffer.allocUnsafe(FIXED + id.length + rec.data.length)
  out.writeUInt32LE(MAGIC, 0)
  out.writeUInt32LE(out.length, 4)
  let at = BODY_AT
  at = out.writeUInt32LE(generation, at)
  at = out.writeUInt32LE(rec.blockIdx, at)
  at = out.writeUInt32LE(rec.data.length, at)
  at = out.writeUInt16LE(id.length, at)
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

/** Length of the record whose first 8 bytes are `head`; 0 when they are not a record's. */
export function recordLength(head: Buffer): number {
  if (head.length < 8 || head.readUInt32LE(0) !== MAGIC) return 0
  return head.readUInt32LE(4)
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
function scan(file: Buffer, visit: (generation: number, rec: JournalRecord) => boolean): void {
  let at = 0
  while (at + FIXED <= file.length) {
    if (file.readUInt32LE(at) !== MAGIC) break
    const length = file.readUInt32LE(at + 4)
    if (length < FIXED || at + length > file.length) break
    const rec = file.subarray(at, at + length)
    const digest = createHash('sha256').update(rec.subarray(BODY_AT)).digest()
    if (!digest.equals(rec.subarray(DIGEST_AT, BODY_AT))) break
    const gen = rec.readUInt32LE(BODY_AT)
    const blockIdx = rec.readUInt32LE(BODY_AT + 4)
    const dataSize = rec.readUInt32LE(BODY_AT + 8)
    const idLength = rec.readUInt16LE(BODY_AT + 12)
    if (FIXED + idLength + dataSize !== length) break
    const payloadId = rec.toString('utf8', FIXED, FIXED + idLength)
    if (!visit(gen, { payloadId, blockIdx, data: rec.subarray(FIXED + idLength) })) break
    at += length
  }
}
