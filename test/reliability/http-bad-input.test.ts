/**
 * Bad input over HTTP, property-based (fast-check), against the real server process (fs
 * local, fs remote, SQLite, a bearer token, --max-body 1MiB): hostile payload paths, Range
 * headers, query integers, oversized or lying bodies and bad tokens each get the documented
 * status and code and change nothing (every payload's record and SHA-256 compared through the
 * API before and after); odd but valid ranges return exactly the model's bytes.
 * BAD_INPUT_RUNS scales the number of inputs (the torture runner raises it).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import { BlockSize, MaxPayloadSize } from '../../src/core/constants.js'
import { rawExchange, rawHead } from '../support/raw-http.js'
import {
  apiSnapshot,
  errorCode,
  type HttpAnswer,
  type HttpRequest,
  type ScratchServer,
  send,
  startScratchServer,
} from './support/http-client.js'
import {
  badAuthorization,
  badInteger,
  decodedId,
  hostileRawId,
  ignoredRange,
  validRange,
} from './support/http-hostile.js'
import { patternBytes } from './support/pattern.js'
import { checkRangeAnswer, selected } from './support/range-model.js'

const runs = Number(process.env.BAD_INPUT_RUNS ?? 150)
const token = 'campaign-token-7Hq2'
const MaxBody = 1024 * 1024
/** Inputs tried, by kind (printed as one JSON figure line). */
const tried: Record<string, number> = {}
const count = (kind: string): void => {
  tried[kind] = (tried[kind] ?? 0) + 1
}

let s: ScratchServer
/** What the seeded payloads hold. */
const content = new Map<string, Buffer>()
let before0 = ''

const call = (r: HttpRequest): Promise<HttpAnswer> =>
  send(s.port, { ...r, headers: { ...s.auth, ...r.headers } })

function expectError(a: HttpAnswer, status: number, code: string | undefined, what: string): void {
  assert.equal(
    a.status,
    status,
    `${what}: status ${a.status} ${a.body.toString('utf8').slice(0, 200)}`,
  )
  if (code !== undefined)
    assert.equal(errorCode(a), code, `${what}: body ${a.body.toString('utf8').slice(0, 200)}`)
}

/** The state is what it was, and the server still answers reads and writes correctly. */
async function assertUnchangedAndServing(): Promise<void> {
  assert.equal(await apiSnapshot(s), before0, 'state changed')
  for (const [id, bytes] of content) {
    const got = await call({ method: 'GET', path: `/v1/payloads/${id}` })
    assert.ok(got.status === 200 && got.body.equals(bytes), `${id} reads back`)
  }
  const probe = await call({ method: 'PUT', path: '/v1/payloads/probe', body: 'still serving' })
  assert.equal(probe.status, 201)
  assert.equal((await call({ method: 'DELETE', path: '/v1/payloads/probe' })).status, 204)
}

before(async () => {
  s = await startScratchServer({ token, maxBody: '1MiB' })
  content.set('small', Buffer.from(patternBytes(1, 0, 5000)))
  content.set('dir/other', Buffer.from(patternBytes(2, 0, 4096)))
  content.set('empty', Buffer.alloc(0))
  // Crosses a block boundary, written in --max-body pieces.
  const base = Buffer.from(patternBytes(3, 0, BlockSize + 4096))
  content.set('base', base)
  for (let off = 0; off < base.length; off += MaxBody) {
    const body = base.subarray(off, off + MaxBody)
    const a = await call({ method: 'PATCH', path: `/v1/payloads/base?offset=${off}`, body })
    assert.equal(a.status, 200)
  }
  assert.equal((await call({ method: 'POST', path: '/v1/payloads/base/flush' })).status, 200)
  for (const id of ['small', 'dir/other', 'empty']) {
    const a = await call({ method: 'PUT', path: `/v1/payloads/${id}`, body: content.get(id) })
    assert.equal(a.status, 201, id)
  }
  before0 = await apiSnapshot(s)
})

after(async () => {
  const total = Object.values(tried).reduce((a, b) => a + b, 0)
  console.log(JSON.stringify({ httpBadInputsTried: total, httpBadInputsByKind: tried }))
  await s?.dispose()
})

describe('hostile HTTP input against the spawned server', () => {
  it('hostile payload paths (traversal, encoded dots and slashes, NUL, bad UTF-8, over-long) get 400 BS_INVALID_PAYLOAD_ID on every method and change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(hostileRawId, async (raw) => {
        const p = `/v1/payloads/${raw}`
        const requests: [string, HttpRequest][] = [
          ['GET', { method: 'GET', path: p }],
          ['HEAD', { method: 'HEAD', path: p }],
          ['DELETE', { method: 'DELETE', path: p }],
          ['PUT', { method: 'PUT', path: p, body: 'x' }],
          ['PATCH', { method: 'PATCH', path: `${p}?offset=0`, body: 'x' }],
          ['flush', { method: 'POST', path: `${p}/flush` }],
          ['truncate', { method: 'POST', path: `${p}/truncate?size=0` }],
          ['copy from', { method: 'POST', path: `${p}/copy?to=fresh` }],
        ]
        for (const [what, r] of requests) {
          count('payloadPath')
          const a = await call(r)
          expectError(
            a,
            400,
            r.method === 'HEAD' ? undefined : 'BS_INVALID_PAYLOAD_ID',
            `${what} ${raw}`,
          )
        }
        // As a form-encoded query value: malformed percent-encoding is a malformed query.
        count('copyTarget')
        const a = await call({ method: 'POST', path: `/v1/payloads/small/copy?to=${raw}` })
        const code = decodedId(raw) === undefined ? 'BS_INVALID_ARGUMENT' : 'BS_INVALID_PAYLOAD_ID'
        expectError(a, 400, code, `copy to ${raw}`)
      }),
      { numRuns: runs },
    )
    await assertUnchangedAndServing()
  })

  it('valid, odd and overlapping Range sets return exactly the bytes of the model (206, multipart or 416)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('small', 'base', 'empty', 'dir/other'),
        validRange,
        async (id, { specs, header }) => {
          count('validRange')
          const bytes = content.get(id)!
          const a = await call({
            method: 'GET',
            path: `/v1/payloads/${id}`,
            headers: { range: header },
          })
          let want: ReturnType<typeof selected> | undefined = selected(specs, bytes.length)
          // A suffix range on an empty payload is documented as a full (empty) 200.
          const suffix = specs.some((x) => x.kind === 'suffix' && BigInt(x.length) > 0n)
          if (bytes.length === 0 && suffix) want = undefined
          const problem = checkRangeAnswer(a, bytes, want)
          assert.equal(problem, undefined, `${id} Range: ${header}`)
        },
      ),
      { numRuns: runs },
    )
    await assertUnchangedAndServing()
  })

  it('malformed Range headers (reversed, negative, inner whitespace, garbage, other units, over 100 ranges) are ignored with a full 200', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('small', 'dir/other'), ignoredRange, async (id, header) => {
        count('ignoredRange')
        const bytes = content.get(id)!
        const a = await call({
          method: 'GET',
          path: `/v1/payloads/${id}`,
          headers: { range: header },
        })
        assert.equal(checkRangeAnswer(a, bytes, undefined), undefined, `${id} Range: ${header}`)
      }),
      { numRuns: runs },
    )
    await assertUnchangedAndServing()
  })

  it('bad offsets, sizes and limits in the query get 416 BS_INVALID_OFFSET, 400 BS_INVALID_SIZE or 400 BS_INVALID_ARGUMENT and change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(badInteger, fc.constantFrom('small', 'fresh'), async (bad, id) => {
        const v = encodeURIComponent(bad)
        count('queryInteger')
        let a = await call({ method: 'PATCH', path: `/v1/payloads/${id}?offset=${v}`, body: 'xy' })
        expectError(a, 416, 'BS_INVALID_OFFSET', `PATCH offset=${bad}`)
        count('queryInteger')
        a = await call({ method: 'POST', path: `/v1/payloads/${id}/truncate?size=${v}` })
        expectError(a, 400, 'BS_INVALID_SIZE', `truncate size=${bad}`)
        count('queryInteger')
        a = await call({ method: 'GET', path: `/v1/payloads?limit=${v}` })
        expectError(a, 400, 'BS_INVALID_ARGUMENT', `list limit=${bad}`)
      }),
      { numRuns: runs },
    )
    await assertUnchangedAndServing()
  })

  it('writes and truncates past the largest payload size get 413 BS_TOO_LARGE and change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: MaxPayloadSize - 100, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 101, max: 4096 }),
        fc.constantFrom('small', 'fresh'),
        async (offset, len, id) => {
          count('tooLarge')
          const body = new Uint8Array(len)
          let a = await call({ method: 'PATCH', path: `/v1/payloads/${id}?offset=${offset}`, body })
          expectError(a, 413, 'BS_TOO_LARGE', `PATCH ${offset}+${len}`)
          count('tooLarge')
          // Past 2^53 - 1 a size is malformed (400 BS_INVALID_SIZE, tested above), not too large.
          const size = Math.min(offset + 101, Number.MAX_SAFE_INTEGER)
          a = await call({ method: 'POST', path: `/v1/payloads/${id}/truncate?size=${size}` })
          expectError(a, 413, 'BS_TOO_LARGE', `truncate ${size}`)
        },
      ),
      { numRuns: Math.ceil(runs / 3) },
    )
    await assertUnchangedAndServing()
  })

  it('requests without the right bearer token get 401 BS_UNAUTHORIZED on every endpoint and change nothing', async () => {
    const routes: HttpRequest[] = [
      { method: 'PUT', path: '/v1/payloads/small', body: 'overwrite' },
      { method: 'PATCH', path: '/v1/payloads/small?offset=0', body: 'overwrite' },
      { method: 'DELETE', path: '/v1/payloads/small' },
      { method: 'POST', path: '/v1/payloads/small/truncate?size=0' },
      { method: 'POST', path: '/v1/payloads/small/copy?to=dir/other' },
      { method: 'GET', path: '/v1/payloads/small' },
      { method: 'GET', path: '/v1/payloads/%2e%2e' },
      { method: 'GET', path: '/v1/payloads' },
      { method: 'GET', path: '/v1/stats' },
      { method: 'GET', path: '/v1/health' },
      { method: 'GET', path: '/metrics' },
      { method: 'POST', path: '/v1/gc' },
      { method: 'POST', path: '/v1/evict' },
      { method: 'POST', path: '/v1/drain' },
      { method: 'GET', path: '/nowhere' },
    ]
    await fc.assert(
      fc.asyncProperty(badAuthorization(token), fc.constantFrom(...routes), async (auth, r) => {
        count('authorization')
        const a = await send(s.port, {
          ...r,
          headers: auth === undefined ? {} : { authorization: auth },
        })
        expectError(a, 401, 'BS_UNAUTHORIZED', `${r.method} ${r.path} with ${JSON.stringify(auth)}`)
        assert.equal(a.headers['www-authenticate'], 'Bearer')
      }),
      { numRuns: runs },
    )
    // The scheme is case-insensitive and whitespace around the token is allowed (RFC 6750).
    for (const ok of [`bearer ${token}`, `BEARER\t${token}`, `Bearer   ${token}  `]) {
      const a = await send(s.port, {
        method: 'GET',
        path: '/v1/stats',
        headers: { authorization: ok },
      })
      assert.equal(a.status, 200, ok)
    }
    await assertUnchangedAndServing()
  })

  it('bodies over --max-body get 413 BS_TOO_LARGE (declared: before anything is written) and the connection is closed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: MaxBody + 1, max: 2 ** 50 }),
        fc.constantFrom('PUT', 'PATCH'),
        fc.constantFrom('small', 'base', 'fresh'),
        async (declared, method, id) => {
          count('oversized')
          const target = method === 'PUT' ? `/v1/payloads/${id}` : `/v1/payloads/${id}?offset=0`
          const head = rawHead(method, target, [
            `Authorization: Bearer ${token}`,
            `Content-Length: ${declared}`,
          ])
          const a = await rawExchange(s.port, head, new Uint8Array(1024), { end: false })
          assert.equal(
            a.status,
            413,
            `${method} ${id} declaring ${declared}: ${a.text.slice(0, 200)}`,
          )
          assert.equal(a.json?.code, 'BS_TOO_LARGE')
          assert.ok(a.closedByServer, 'connection closed')
        },
      ),
      { numRuns: Math.ceil(runs / 3) },
    )
    count('oversized')
    const a = await call({
      method: 'PUT',
      path: '/v1/payloads/small',
      body: new Uint8Array(MaxBody + 1),
    })
    expectError(a, 413, 'BS_TOO_LARGE', 'PUT of max-body + 1 bytes')
    await assertUnchangedAndServing()
  })

  it('streamed bodies over the limit and lying Content-Lengths leave at most a prefix of the target and nothing else changed', async () => {
    const auth = `Authorization: Bearer ${token}`
    // Chunked: the limit is found while streaming, after the PUT began (documented partial).
    const piece = Buffer.alloc(256 * 1024, 7)
    const chunk = Buffer.concat([
      Buffer.from(`${piece.length.toString(16)}\r\n`),
      piece,
      Buffer.from('\r\n'),
    ])
    const chunked = Buffer.concat(Array.from({ length: 5 }, () => chunk))
    count('streamedOversize')
    const big = await rawExchange(
      s.port,
      rawHead('PUT', '/v1/payloads/fresh', [auth, 'Transfer-Encoding: chunked']),
      chunked,
      { end: false },
    )
    assert.equal(big.status, 413, big.text.slice(0, 200))
    assert.equal(big.json?.code, 'BS_TOO_LARGE')
    await expectPrefixThenDelete('fresh', Buffer.concat(Array.from({ length: 5 }, () => piece)))
    // Declares more than it sends, then hangs up: Node answers 400 (or nothing).
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4096 }),
        fc.integer({ min: 1, max: 1000 }),
        async (len, extra) => {
          count('lyingLength')
          const body = Buffer.from(patternBytes(9, 0, len))
          const head = rawHead('PUT', '/v1/payloads/fresh', [
            auth,
            `Content-Length: ${len + extra}`,
          ])
          const a = await rawExchange(s.port, head, body, { end: true })
          assert.ok(Number.isNaN(a.status) || a.status === 400, `status ${a.status}`)
          await expectPrefixThenDelete('fresh', body)
        },
      ),
      { numRuns: Math.ceil(runs / 5) },
    )
    // Malformed framing is refused by Node's parser before any handler runs.
    for (const framing of [
      ['Content-Length: 3', 'Content-Length: 4'],
      ['Content-Length: 3', 'Transfer-Encoding: chunked'],
      ['Content-Length: -3'],
      ['Content-Length: 3x'],
      ['Content-Length: 99999999999999999999999'],
    ]) {
      count('framing')
      const a = await rawExchange(
        s.port,
        rawHead('PUT', '/v1/payloads/small', [auth, ...framing]),
        Buffer.from('abcd'),
      )
      assert.equal(a.status, 400, `${framing.join(', ')}: ${a.text.slice(0, 100)}`)
      assert.ok(a.closedByServer)
    }
    await assertUnchangedAndServing()
  })
})

/** `id` is absent or holds a prefix of `sent`; it is deleted afterwards. */
async function expectPrefixThenDelete(id: string, sent: Buffer): Promise<void> {
  const got = await call({ method: 'GET', path: `/v1/payloads/${id}` })
  if (got.status === 404) return
  assert.equal(got.status, 200)
  assert.ok(
    got.body.length <= sent.length && sent.subarray(0, got.body.length).equals(got.body),
    `${id} holds foreign bytes`,
  )
  assert.equal((await call({ method: 'DELETE', path: `/v1/payloads/${id}` })).status, 204)
}
