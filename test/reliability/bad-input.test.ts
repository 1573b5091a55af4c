/**
 * Bad input, property-based (fast-check): hostile payload IDs, offsets and sizes get their
 * documented error code from every library call and change nothing (state compared before
 * and after); odd but valid IDs round-trip without colliding.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import { BlockSize, MaxPayloadIdBytes, MaxPayloadSize } from '../../src/core/constants.js'
import { type ErrorCode, isBlockStoreError } from '../../src/core/errors.js'
import { isValidPayloadId } from '../../src/core/payload-id.js'
import type { Engine } from '../../src/engine/index.js'
import { openTestEngine, type TestEngine } from '../support/engine-fixture.js'
import { onDisk } from '../support/engine-presets.js'
import { patternBytes } from './support/pattern.js'

/** How many inputs the properties tried (reported by the torture run). */
export const tried = { inputs: 0 }
const runs = Number(process.env.BAD_INPUT_RUNS ?? 150)

let e: TestEngine
let store: Engine
before(async () => {
  e = await openTestEngine(onDisk)
  store = e.engine
  await store.writeAt('base', patternBytes(1, 0, BlockSize + 100), 0)
  await store.flush('base')
  await store.writeAt('dir/other', patternBytes(2, 0, 4096), 0)
})
after(async () => {
  console.log(JSON.stringify({ badInputsTried: tried.inputs }))
  await e[Symbol.asyncDispose]()
})

/** Payloads with their sizes and content digests, and block counts. */
async function snapshot(): Promise<string> {
  const page = await store.listPayloads({ limit: 1000 })
  const out: string[] = page.items.map((r) => `record ${r.id}:${r.size}`)
  for (const id of ['base', 'dir/other', 'fresh']) {
    if (!(await store.exists(id))) {
      out.push(`${id}: absent`)
      continue
    }
    const size = await store.getSize(id)
    const data = new Uint8Array(size)
    await store.readAt(id, data, 0)
    out.push(`${id}:${size}:${createHash('sha256').update(data).digest('hex')}`)
  }
  const s = await store.stats()
  out.push(`files=${s.fileCount} blocks=${s.blocksTotal}`)
  return out.join('\n')
}

async function expectCode(
  p: Promise<unknown>,
  codes: readonly ErrorCode[],
  what: string,
): Promise<void> {
  tried.inputs++
  const err = await p.then(
    () => undefined,
    (x: unknown) => x,
  )
  assert.ok(isBlockStoreError(err), `${what}: expected ${codes.join('|')}, got ${String(err)}`)
  assert.ok(codes.includes(err.code), `${what}: expected ${codes.join('|')}, got ${err.code}`)
}

const segment = fc.oneof(fc.constantFrom('.', '..', ''), fc.string({ maxLength: 8 }))
const hostileId = fc
  .oneof(
    fc.constant(''),
    fc.string().map((s) => `${s}\0${s}`),
    fc.array(segment, { minLength: 1, maxLength: 5 }).map((segs) => segs.join('/')),
    fc.constantFrom('../etc/passwd', 'a/../../b', '/abs', 'a//b', 'a/./b', 'a/', './a', '..'),
    fc
      .string({ minLength: 1, maxLength: 4 })
      .map((s) => s.repeat(Math.ceil((MaxPayloadIdBytes + 1) / s.length))),
    fc.constantFrom('é', '😀', '\u0301').map((c) => c.repeat(MaxPayloadIdBytes)),
    fc.constantFrom('\uD800', 'a\uDC00b', '\uDBFFx', 'x\uD83D'),
  )
  .filter((id) => !isValidPayloadId(id))

/** Every call that takes a payload ID, with the hostile one in each position. */
function callsWithId(id: string): [string, () => Promise<unknown>][] {
  const buf = new Uint8Array(16)
  // An empty COW source is documented as "no source" (a plain read), not an error.
  const cow: [string, () => Promise<unknown>][] =
    id === ''
      ? []
      : [['readAtWithCOWSource source', () => store.readAtWithCOWSource('base', id, buf, 0)]]
  return [
    ...cow,
    ['readAt', () => store.readAt(id, buf, 0)],
    ['readAtWithCOWSource primary', () => store.readAtWithCOWSource(id, 'base', buf, 0)],
    ['writeAt', () => store.writeAt(id, buf, 0)],
    ['truncate', () => store.truncate(id, 10)],
    ['delete', () => store.delete(id)],
    ['copyPayload src', () => store.copyPayload(id, 'fresh')],
    ['copyPayload dst', () => store.copyPayload('base', id)],
    ['flush', () => store.flush(id)],
    ['getSize', () => store.getSize(id)],
    ['stat', () => store.stat(id)],
    ['exists', () => store.exists(id)],
    ['evict', () => store.evict({ payloadId: id })],
  ]
}

const badNumber = fc.oneof(
  fc.integer({ min: -(2 ** 40), max: -1 }),
  fc.double({ noInteger: true, noNaN: true }),
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    2 ** 53,
    2 ** 60,
    -(2 ** 53),
    1e300,
    0.5,
  ),
)

describe('hostile input to the library API', () => {
  it('invalid payload IDs (traversal, NUL, over-long, broken Unicode) get BS_INVALID_PAYLOAD_ID and change nothing', async () => {
    const before = await snapshot()
    await fc.assert(
      fc.asyncProperty(hostileId, async (id) => {
        for (const [name, call] of callsWithId(id))
          await expectCode(call(), ['BS_INVALID_PAYLOAD_ID'], name)
      }),
      { numRuns: runs },
    )
    assert.equal(await snapshot(), before)
  })

  it('negative, fractional, non-finite and beyond-2^53 offsets and sizes get their code and change nothing', async () => {
    const before = await snapshot()
    await fc.assert(
      fc.asyncProperty(badNumber, fc.constantFrom('base', 'fresh'), async (n, id) => {
        const buf = new Uint8Array(8)
        await expectCode(store.readAt(id, buf, n), ['BS_INVALID_OFFSET'], `readAt ${n}`)
        await expectCode(store.writeAt(id, buf, n), ['BS_INVALID_OFFSET'], `writeAt ${n}`)
        await expectCode(
          store.readAtWithCOWSource(id, 'base', buf, n),
          ['BS_INVALID_OFFSET'],
          `cow ${n}`,
        )
        await expectCode(store.truncate(id, n), ['BS_INVALID_SIZE'], `truncate ${n}`)
      }),
      { numRuns: runs },
    )
    assert.equal(await snapshot(), before)
  })

  it('writes and truncates past the largest payload size get BS_TOO_LARGE and change nothing', async () => {
    const before = await snapshot()
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: MaxPayloadSize - 4096, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 4097, max: 8192 }),
        fc.constantFrom('base', 'fresh'),
        async (offset, len, id) => {
          await expectCode(
            store.writeAt(id, new Uint8Array(len), offset),
            ['BS_TOO_LARGE'],
            `writeAt ${offset}+${len}`,
          )
          if (offset > MaxPayloadSize)
            await expectCode(store.truncate(id, offset), ['BS_TOO_LARGE'], `truncate ${offset}`)
        },
      ),
      { numRuns: runs },
    )
    assert.equal(await snapshot(), before)
  })

  it('reads at huge valid offsets and with huge buffers return only the bytes that exist', async () => {
    const size = await store.getSize('base')
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), async (offset) => {
        tried.inputs++
        const dest = new Uint8Array(64)
        const n = await store.readAt('base', dest, offset)
        assert.equal(n, Math.max(0, Math.min(64, size - offset)))
      }),
      { numRuns: runs },
    )
    const big = new Uint8Array(3 * BlockSize)
    assert.equal(await store.readAt('base', big, 0), size)
    assert.ok(
      big.subarray(size).every((b) => b === 0),
      'nothing written past the payload end',
    )
  })

  it('odd but valid payload IDs (unicode, spaces, backslashes, 1024 bytes) round-trip without colliding', async () => {
    const valid = fc
      .oneof(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
        fc.constantFrom(
          'a\\..\\b',
          ' ',
          '%2e%2e',
          'CON',
          'a:b',
          'x'.repeat(MaxPayloadIdBytes),
          'é'.repeat(MaxPayloadIdBytes / 2),
          '\u202Eevil',
          'a/b/c',
        ),
      )
      .filter((id) => isValidPayloadId(id) && !['base', 'dir/other', 'fresh'].includes(id))
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(valid, { minLength: 2, maxLength: 4 }), async (ids) => {
        tried.inputs++
        for (const [i, id] of ids.entries()) {
          await store.writeAt(id, patternBytes(100 + i, 0, 256), 0)
          await store.flush(id)
        }
        for (const [i, id] of ids.entries()) {
          const got = new Uint8Array(256)
          assert.equal(await store.readAt(id, got, 0), 256)
          assert.deepEqual(got, patternBytes(100 + i, 0, 256), JSON.stringify(id))
        }
        for (const id of ids) await store.delete(id)
      }),
      { numRuns: Math.ceil(runs / 5) },
    )
  })
})
