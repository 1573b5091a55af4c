/**
 * The real server process, started with its embedded defaults in a scratch directory and
 * driven with fetch and curl.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import {
  patternBytes,
  type ServerProcess,
  startServer,
  stopServer,
} from '../support/server-process.js'

const run = promisify(execFile)
let dir: string
let server: ServerProcess
let base: string

/** The JSON fields these tests read. */
interface Body {
  code: string
  status: string
  items: { id: string }[]
  nextCursor?: string
  failed: unknown[]
  readBufferEntriesCleared: number
  fileCount: number
  hasRemote: boolean
}
const json = async (res: Response): Promise<Body> => (await res.json()) as Body

const put = (id: string, body: Uint8Array | string) =>
  fetch(`${base}/v1/payloads/${id}`, { method: 'PUT', body })

describe('HTTP API (spawned server, embedded defaults)', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ditto-http-'))
    server = await startServer(['--data-dir', join(dir, 'data')])
    base = server.url
  })
  after(async () => {
    await stopServer(server)
    await rm(dir, { recursive: true, force: true })
  })

  it('prints the effective configuration and stores under the data directory', () => {
    assert.match(server.stdout(), /metadata\s+sqlite:.*data\/meta\.db/)
    assert.match(server.stdout(), /remote\s+none \(local-only\)/)
    assert.ok(existsSync(join(dir, 'data', 'blocks')))
  })

  it('round-trips a file byte for byte with curl -T and curl', async () => {
    const file = join(dir, 'somefile')
    const data = patternBytes(9 * 1024 * 1024 + 17, 7)
    await writeFile(file, data)
    const { stdout } = await run('curl', ['-sS', '-T', file, `${base}/v1/payloads/x`])
    assert.deepEqual(JSON.parse(stdout), { id: 'x', size: data.length, finalized: false })
    const out = join(dir, 'back')
    await run('curl', ['-sS', '-o', out, `${base}/v1/payloads/x`])
    assert.ok(data.equals(await readFile(out)))
  })

  it('answers 201 for a new payload and 200 when replacing, shrinking it to the new body', async () => {
    assert.equal((await put('r', 'long original body')).status, 201)
    const res = await put('r', 'short')
    assert.equal(res.status, 200)
    assert.equal(await (await fetch(`${base}/v1/payloads/r`)).text(), 'short')
  })

  it('takes IDs with slashes, any Unicode, and names of actions', async () => {
    const ids = ['dir/sub/file.txt', 'déjà vu/📦 ünï', 'a/truncate', 'c++ notes']
    for (const id of ids) {
      const path = id.split('/').map(encodeURIComponent).join('/')
      assert.equal((await put(path, `body of ${id}`)).status, 201, id)
      assert.equal(await (await fetch(`${base}/v1/payloads/${path}`)).text(), `body of ${id}`)
    }
    const trunc = await fetch(`${base}/v1/payloads/a/truncate/truncate?size=4`, { method: 'POST' })
    assert.deepEqual(await trunc.json(), { id: 'a/truncate', size: 4 })
    assert.equal(await (await fetch(`${base}/v1/payloads/a/truncate`)).text(), 'body')
  })

  it('serves ranges: single, suffix, open, multipart, unsatisfiable, with validators', async () => {
    const data = patternBytes(10000, 3)
    await put('rng', data)
    const get = (range: string, headers: Record<string, string> = {}) =>
      fetch(`${base}/v1/payloads/rng`, { headers: { range, ...headers } })
    let res = await get('bytes=0-499')
    assert.equal(res.status, 206)
    assert.equal(res.headers.get('content-range'), 'bytes 0-499/10000')
    assert.equal(res.headers.get('content-length'), '500')
    assert.equal(res.headers.get('accept-ranges'), 'bytes')
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(data.subarray(0, 500)))
    res = await get('bytes=-500')
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(data.subarray(9500)))
    res = await get('bytes=9990-')
    assert.equal(res.headers.get('content-range'), 'bytes 9990-9999/10000')
    res = await get('bytes=0-0,-1')
    assert.equal(res.status, 206)
    const type = res.headers.get('content-type') ?? ''
    const boundary = /boundary=(\S+)/.exec(type)?.[1]
    const body = Buffer.from(await res.arrayBuffer())
    assert.equal(body.length, Number(res.headers.get('content-length')))
    const text = body.toString('latin1')
    assert.ok(
      text.includes(
        `--${boundary}\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 0-0/10000\r\n\r\n${data.subarray(0, 1).toString('latin1')}\r\n`,
      ),
    )
    assert.ok(
      text.endsWith(
        `Content-Range: bytes 9999-9999/10000\r\n\r\n${data.subarray(9999).toString('latin1')}\r\n--${boundary}--\r\n`,
      ),
    )
    res = await get('bytes=10000-')
    assert.equal(res.status, 416)
    assert.equal(res.headers.get('content-range'), 'bytes */10000')
    assert.equal((await json(res)).code, 'BS_INVALID_OFFSET')
    res = await get('bytes=5-3')
    assert.equal(res.status, 200)
    assert.equal((await res.arrayBuffer()).byteLength, 10000)
    const etag = res.headers.get('etag')!
    assert.match(etag, /^W\/"/)
    assert.ok(res.headers.get('last-modified'))
    assert.equal(
      (await fetch(`${base}/v1/payloads/rng`, { headers: { 'if-none-match': etag } })).status,
      304,
    )
    // A weak validator never satisfies If-Range: the whole representation comes back.
    res = await get('bytes=0-9', { 'if-range': etag })
    assert.equal(res.status, 200)
    await res.arrayBuffer()
  })

  it('answers HEAD with the size and validators and no body, ignoring Range', async () => {
    const res = await fetch(`${base}/v1/payloads/rng`, {
      method: 'HEAD',
      headers: { range: 'bytes=0-1' },
    })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-length'), '10000')
    assert.equal((await res.arrayBuffer()).byteLength, 0)
  })

  it('writes at an offset with PATCH, then flushes, copies, truncates and deletes', async () => {
    await put('p', 'hello world')
    let res = await fetch(`${base}/v1/payloads/p?offset=6`, { method: 'PATCH', body: 'WORLD!' })
    assert.deepEqual(await res.json(), { id: 'p', offset: 6, written: 6, size: 12 })
    res = await fetch(`${base}/v1/payloads/p/flush`, { method: 'POST' })
    assert.deepEqual(await res.json(), { id: 'p', finalized: false })
    res = await fetch(`${base}/v1/payloads/p/copy?to=${encodeURIComponent('q/copy')}`, {
      method: 'POST',
    })
    assert.equal(res.status, 200)
    assert.equal(await (await fetch(`${base}/v1/payloads/q/copy`)).text(), 'hello WORLD!')
    await fetch(`${base}/v1/payloads/p/truncate?size=20`, { method: 'POST' })
    const grown = Buffer.from(await (await fetch(`${base}/v1/payloads/p`)).arrayBuffer())
    assert.equal(grown.toString('latin1'), 'hello WORLD!\0\0\0\0\0\0\0\0')
    assert.equal((await fetch(`${base}/v1/payloads/p`, { method: 'DELETE' })).status, 204)
    res = await fetch(`${base}/v1/payloads/p`)
    assert.equal(res.status, 404)
    assert.equal((await json(res)).code, 'BS_CONTENT_NOT_FOUND')
  })

  it('pages through payloads by prefix with a cursor', async () => {
    for (const n of ['1', '2', '3', '4', '5']) await put(`list/${n}`, n)
    const seen: string[] = []
    let cursor = ''
    for (let pages = 0; pages < 10; pages++) {
      const page = await json(
        await fetch(
          `${base}/v1/payloads?prefix=list%2F&limit=2&cursor=${encodeURIComponent(cursor)}`,
        ),
      )
      seen.push(...page.items.map((r: { id: string }) => r.id))
      if (page.nextCursor === undefined) break
      cursor = page.nextCursor
    }
    assert.deepEqual(seen, ['list/1', 'list/2', 'list/3', 'list/4', 'list/5'])
    assert.equal((await fetch(`${base}/v1/payloads?limit=0`)).status, 400)
  })

  it("exposes prom-client's process and Node metrics in /metrics, with the process's real figures", async () => {
    const text = await (await fetch(`${base}/metrics`)).text()
    const value = (name: string): number => {
      const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)
      assert.ok(m !== null, `${name} missing`)
      return Number(m[1])
    }
    const rss = value('process_resident_memory_bytes')
    assert.ok(rss > 20 * 1024 * 1024 && rss <= (await server.peakRss()) * 1.5, `rss ${rss}`)
    const fds = value('process_open_fds')
    assert.ok(fds >= 3 && fds <= value('process_max_fds'), `fds ${fds}`)
    assert.ok(value('process_cpu_seconds_total') > 0)
    assert.ok(value('nodejs_heap_size_used_bytes') > 0)
    assert.ok(value('nodejs_eventloop_lag_seconds') >= 0)
    assert.match(text, /^# TYPE nodejs_gc_duration_seconds histogram$/m)
    assert.match(text, new RegExp(`^nodejs_version_info\\{version="${process.version}"`, 'm'))
    // Kept beside the defaults: it sees a stall right after a scrape, theirs does not.
    assert.match(text, /^ditto_event_loop_delay_seconds\{stat="max"\} /m)
  })

  it('reports stats, health, metrics, evict and drain; gc is 501 until the engine has it', async () => {
    const stats = await json(await fetch(`${base}/v1/stats`))
    assert.ok(stats.fileCount >= 1)
    assert.equal(stats.hasRemote, false)
    const health = await fetch(`${base}/v1/health`)
    assert.equal(health.status, 200)
    assert.equal((await json(health)).status, 'healthy')
    const metrics = await (await fetch(`${base}/metrics`)).text()
    for (const name of [
      'ditto_blocks{state="local"}',
      'ditto_upload_bytes_total',
      'ditto_dedup_hits_total',
      'ditto_oldest_unuploaded_age_seconds',
      'ditto_read_buffer_lookups_total{result="hit"}',
      'ditto_remote_healthy',
      'ditto_http_request_duration_seconds_bucket',
    ]) {
      assert.ok(metrics.includes(name), name)
    }
    const evicted = await json(await fetch(`${base}/v1/evict?local=0`, { method: 'POST' }))
    assert.equal(typeof evicted.readBufferEntriesCleared, 'number')
    const drained = await json(await fetch(`${base}/v1/drain`, { method: 'POST' }))
    assert.deepEqual(drained.failed, [])
    const gc = await fetch(`${base}/v1/gc?dryRun=1`, { method: 'POST' })
    assert.equal(gc.status, 501)
    assert.equal((await json(gc)).code, 'BS_NOT_SUPPORTED')
  })

  it('answers bad requests with JSON errors and the table status, never a stack', async () => {
    const cases: [string, RequestInit, number, string][] = [
      ['/v1/payloads/a//b', {}, 400, 'BS_INVALID_PAYLOAD_ID'],
      ['/v1/payloads/x?offset=-1', { method: 'PATCH', body: 'x' }, 416, 'BS_INVALID_OFFSET'],
      ['/v1/payloads/x', { method: 'PATCH', body: 'x' }, 416, 'BS_INVALID_OFFSET'],
      ['/v1/payloads/x/truncate?size=abc', { method: 'POST' }, 400, 'BS_INVALID_SIZE'],
      ['/v1/payloads/x/copy', { method: 'POST' }, 400, 'BS_INVALID_ARGUMENT'],
      ['/v1/payloads/x/copy?to=%2Fbad', { method: 'POST' }, 400, 'BS_INVALID_PAYLOAD_ID'],
      ['/v1/payloads/missing/flush', { method: 'POST' }, 404, 'BS_CONTENT_NOT_FOUND'],
      ['/v1/nothing', {}, 404, 'BS_CONTENT_NOT_FOUND'],
      ['/v1/stats', { method: 'DELETE' }, 501, 'BS_NOT_SUPPORTED'],
      ['/v1/evict?local=maybe', { method: 'POST' }, 400, 'BS_INVALID_ARGUMENT'],
    ]
    for (const [path, init, status, code] of cases) {
      const res = await fetch(`${base}${path}`, init)
      const text = await res.text()
      assert.equal(res.status, status, `${path}: ${text}`)
      assert.deepEqual(Object.keys(JSON.parse(text)).sort(), ['code', 'message'])
      assert.equal(JSON.parse(text).code, code, path)
      assert.ok(!text.includes('    at '), 'no stack trace')
    }
  })

  it('rejects oversized request heads', async () => {
    const res = await fetch(`${base}/v1/stats`, { headers: { 'x-big': 'x'.repeat(20 * 1024) } })
    assert.equal(res.status, 431)
  })
})
