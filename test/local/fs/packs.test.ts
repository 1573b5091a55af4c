/**
 * Packs at the flush journal's level (docs/design-packs.md): records appended as blocks' copies
 * read back verified, keep their generation past its checkpoint as a sealed pack, and let it
 * go once given back, only after the metadata sync of a later checkpoint.
 */
import assert from 'node:assert/strict'
import { open, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { pattern } from '../../../src/conformance/local-store/fixture.js'
import type { JournaledBlock } from '../../../src/local/common/state/block-medium.js'
import { FlushJournal } from '../../../src/local/fs/flush-journal.js'
import { PackSet } from '../../../src/local/fs/packs.js'
import { PackReadError, parsePlace } from '../../../src/local/fs/record-place.js'
import { tempDir } from '../helpers.js'

function record(payloadId: string, seed: number, size = 4096): JournaledBlock {
  return { payloadId, blockIdx: 0, data: pattern(size, seed), payloadSize: size, modifiedAt: 1 }
}

async function setup(t: TestContext) {
  const dir = await tempDir(t)
  const journalDir = join(dir, 'journal')
  const packsDir = join(dir, 'packs')
  /** Calls of the checkpoint's durability step, and the packs on disk at each. */
  const syncs: string[][] = []
  const open = async (): Promise<FlushJournal> => {
    const j = await FlushJournal.open(
      journalDir,
      0,
      async () => {
        syncs.push(await readdir(packsDir))
      },
      await PackSet.open(packsDir),
    )
    t.after(() => j.close().catch(() => {}))
    return j
  }
  return { journalDir, packsDir, syncs, open }
}

const place = (
  receipt: { placeOf?: (r: JournaledBlock) => string | undefined },
  r: JournaledBlock,
) => {
  const at = parsePlace(receipt.placeOf?.(r) ?? '')
  assert.ok(at !== undefined, 'a place for every record appended as a copy')
  return at
}

describe("packs (flush journal generations kept as blocks' copies)", () => {
  it('a record appended as a copy reads back, and its generation is sealed as a pack', async (t) => {
    const { journalDir, packsDir, open } = await setup(t)
    const journal = await open()
    const a = record('a', 1)
    const b = record('b', 2, 10_000)
    const receipt = await journal.append([a, b], { asCopies: true })
    const pa = place(receipt, a)
    const pb = place(receipt, b)
    assert.equal(pa.gen, pb.gen)
    assert.equal(pb.offset, pa.offset + pa.length)
    assert.deepEqual(new Uint8Array(await journal.packs!.read(pb)), b.data)
    await journal.checkpoint()
    assert.deepEqual(await readdir(packsDir), [`${pa.gen}.pack`])
    assert.ok(!(await readdir(journalDir)).includes(`${pa.gen}.log`))
    assert.deepEqual(
      new Uint8Array(await journal.packs!.read(pa)),
      a.data,
      'read from the sealed pack',
    )
    await journal.checkpoint()
    assert.deepEqual(await readdir(packsDir), [`${pa.gen}.pack`], 'kept while live')
  })

  it('a pack given back is deleted only after a later checkpoint synced the metadata', async (t) => {
    const { packsDir, syncs, open } = await setup(t)
    const journal = await open()
    const a = record('a', 3)
    const receipt = await journal.append([a], { asCopies: true })
    const pa = place(receipt, a)
    await journal.checkpoint()
    journal.releasePlace(receipt.placeOf!(a)!)
    await journal.append([record('c', 4)])
    await journal.checkpoint()
    assert.deepEqual(syncs.at(-1), [`${pa.gen}.pack`], 'still there while the metadata synced')
    assert.deepEqual(await readdir(packsDir), [])
    await assert.rejects(journal.packs!.read(pa), PackReadError)
  })

  it('records not appended as copies are recycled as before: no pack', async (t) => {
    const { journalDir, packsDir, open } = await setup(t)
    const journal = await open()
    await journal.append([record('a', 5)])
    await journal.checkpoint()
    assert.deepEqual(await readdir(packsDir), [])
    assert.ok((await readdir(journalDir)).includes('spare'))
  })

  it("a pack keeps only its records: the recycled file's stale tail is cut", async (t) => {
    const { packsDir, open } = await setup(t)
    const journal = await open()
    const a = record('a', 6, 100_000)
    const pa = place(await journal.append([a], { asCopies: true }), a)
    await journal.checkpoint()
    const fh = await open_(join(packsDir, `${pa.gen}.pack`))
    assert.equal((await fh.stat()).size, pa.offset + pa.length)
    await fh.close()
  })

  it('a damaged record is a PackReadError, never bytes', async (t) => {
    const { packsDir, open } = await setup(t)
    const journal = await open()
    const a = record('a', 7)
    const pa = place(await journal.append([a], { asCopies: true }), a)
    await journal.checkpoint()
    const fh = await open_(join(packsDir, `${pa.gen}.pack`), 'r+')
    await fh.write(Buffer.from([0xff]), 0, 1, pa.offset + pa.length - 10)
    await fh.close()
    await assert.rejects(journal.packs!.read(pa), PackReadError)
  })

  it('a reopened journal numbers its generations above every pack', async (t) => {
    const { open } = await setup(t)
    const first = await open()
    const a = record('a', 8)
    const pa = place(await first.append([a], { asCopies: true }), a)
    await first.close()
    const again = await open()
    assert.deepEqual(again.packs!.sealed(), [pa.gen])
    const b = record('b', 9)
    const pb = place(await again.append([b], { asCopies: true }), b)
    assert.ok(pb.gen > pa.gen)
  })
})

const open_ = open
