/**
 * GET bodies streamed by the in-process server: reads are paced by the client (a client that
 * stops reading stops the engine reads), a multipart body and ranges come out byte-exact,
 * and a read failure before the first byte is a JSON error.
 */
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { after, before, describe, it } from 'node:test'
import type { BlockStore } from '../../src/core/block-store.js'
import { BlockStoreError } from '../../src/core/errors.js'
import { openBlockStore } from '../../src/engine/open.js'
import { BlockStoreServer } from '../../src/server/block-store-server.js'
import { patternBytes } from '../support/server-process.js'

const MiB = 1024 * 1024
let engine: BlockStore
let server: BlockStoreServer
let bytesRead = 0
let failAt: number | undefined

/** The real engine, counting the bytes readAt is asked for; `failAt` injects a failure. */
function counting(real: BlockStore): BlockStore {
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === 'readAt') {
        return async (id: string, dest: Uint8Array, offset: number, options?: unknown) => {
          if (failAt !== undefined && offset >= failAt) {
            throw new BlockStoreError('BS_REMOTE_UNAVAILABLE', 'injected remote failure')
          }
          bytesRead += dest.byteLength
          return target.readAt(id, dest, offset, options as never)
        }
      }
      const value = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

describe('GET bodies (in-process server)', () => {
  const data = patternBytes(64 * MiB + 123, 21)
  before(async () => {
    engine = await openBlockStore({ local: { kind: 'memory' }, metadata: { kind: 'memory' } })
    await engine.writeAt('big', data, 0)
    await engine.flush('big')
    server = await BlockStoreServer.listen({ engine: counting(engine), port: 0 })
  })
  after(async () => {
    await server.close()
    await engine.close()
  })

  it('stops reading the payload while the client does not read', async () => {
    bytesRead = 0
    const socket = connect(server.address.port, '127.0.0.1')
    socket.pause()
    socket.write('GET /v1/payloads/big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    // Long enough for an unpaced server to read all 64 MiB from memory many times over.
    await new Promise((r) => setTimeout(r, 1000))
    const stalled = bytesRead
    await new Promise((r) => setTimeout(r, 300))
    assert.equal(bytesRead, stalled, 'no reads while the client reads nothing')
    // Loopback socket buffers hold a few MiB; the server itself holds at most its pool.
    assert.ok(stalled < 24 * MiB, `read ${stalled / MiB} MiB ahead of a stalled client`)
    let received = 0
    socket.on('data', (d: Buffer) => {
      received += d.byteLength
    })
    socket.resume()
    await new Promise((r) => socket.once('close', r))
    assert.ok(received > data.byteLength, `received ${received}`)
    assert.equal(bytesRead, data.byteLength)
  })

  it('keeps pace with a slow client: reads run at most a few chunks plus socket buffers ahead', async () => {
    bytesRead = 0
    const socket = connect(server.address.port, '127.0.0.1')
    socket.pause()
    socket.write('GET /v1/payloads/big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    let received = 0
    let maxAhead = 0
    // About 16 MiB/s: 160 KiB every 10 ms, for a second (a quarter of the payload).
    for (let step = 0; step < 100; step++) {
      await new Promise((r) => setTimeout(r, 10))
      for (let got = 0; got < 160 * 1024; ) {
        const piece = socket.read() as Buffer | null
        if (piece === null) break
        got += piece.byteLength
        received += piece.byteLength
      }
      maxAhead = Math.max(maxAhead, bytesRead - received)
    }
    assert.ok(received > 4 * MiB && received < data.byteLength, `received ${received}`)
    // Loopback socket buffers hold a few MiB each way; the server itself at most its pool.
    assert.ok(maxAhead < 24 * MiB, `read ${maxAhead / MiB} MiB ahead of a slow client`)
    assert.ok(bytesRead < data.byteLength, 'the server did not read the whole payload ahead')
    socket.on('data', (d: Buffer) => {
      received += d.byteLength
    })
    socket.resume()
    await new Promise((r) => socket.once('close', r))
    assert.ok(received > data.byteLength, `received ${received}`)
    assert.equal(bytesRead, data.byteLength)
  })

  it('serves ranges and multipart bodies byte-exact across chunk and block boundaries', async () => {
    const one = await fetch(`${server.url}/v1/payloads/big`, {
      headers: { range: `bytes=${MiB - 5}-${9 * MiB + 7}` },
    })
    assert.equal(one.status, 206)
    assert.ok(Buffer.from(await one.arrayBuffer()).equals(data.subarray(MiB - 5, 9 * MiB + 8)))
    const multi = await fetch(`${server.url}/v1/payloads/big`, {
      headers: { range: 'bytes=0-9,8388600-8388700,-20' },
    })
    assert.equal(multi.status, 206)
    const body = Buffer.from(await multi.arrayBuffer()).toString('latin1')
    for (const [a, b] of [
      [0, 10],
      [8388600, 8388701],
      [data.byteLength - 20, data.byteLength],
    ] as const) {
      assert.ok(body.includes(Buffer.from(data.subarray(a, b)).toString('latin1')), `${a}-${b}`)
    }
  })

  it('answers a failure of the first read with its status and JSON body', async () => {
    failAt = 0
    try {
      const res = await fetch(`${server.url}/v1/payloads/big`)
      assert.equal(res.status, 503)
      assert.deepEqual(await res.json(), {
        code: 'BS_REMOTE_UNAVAILABLE',
        message: 'injected remote failure',
      })
    } finally {
      failAt = undefined
    }
  })

  it('cuts the body short when a later read fails', async () => {
    failAt = 3 * MiB
    try {
      const res = await fetch(`${server.url}/v1/payloads/big`)
      assert.equal(res.status, 200)
      await assert.rejects(res.arrayBuffer())
    } finally {
      failAt = undefined
    }
  })
})
