/**
 * Shared set-up of the read-failure tests: scratch directories removed after the run, and a
 * spawned server over a file:// remote holding one payload whose blocks are only remote.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after } from 'node:test'
import {
  patternBytes,
  type ServerProcess,
  startServer,
  stopServer,
} from '../support/server-process.js'

const dirs: string[] = []
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

/** A fresh directory, removed after the run. */
export async function scratchDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'ditto-read-errors-'))
  dirs.push(d)
  return d
}

/** A running server whose payload `cold` (patternBytes(size, 5)) is only in the remote. */
export interface RemoteServer {
  readonly server: ServerProcess
  readonly url: string
  readonly port: number
  readonly remoteDir: string
}

/** Starts the server, stores `cold`, uploads and evicts it, runs `fn`, stops the server. */
export async function withRemoteServer(
  servers: ServerProcess[],
  size: number,
  fn: (s: RemoteServer) => Promise<void>,
): Promise<void> {
  const dir = await scratchDir()
  const remoteDir = join(dir, 'remote')
  const server = await startServer([
    '--data-dir',
    join(dir, 'data'),
    '--remote',
    `file://${remoteDir}`,
  ])
  servers.push(server)
  try {
    const url = server.url
    const put = await fetch(`${url}/v1/payloads/cold`, {
      method: 'PUT',
      body: patternBytes(size, 5),
    })
    assert.equal(put.status, 201)
    await put.arrayBuffer()
    const drained = (await (await fetch(`${url}/v1/drain`, { method: 'POST' })).json()) as {
      failed: unknown[]
    }
    assert.deepEqual(drained.failed, [])
    const evicted = (await (await fetch(`${url}/v1/evict`, { method: 'POST' })).json()) as {
      localBlocksEvicted: number
    }
    assert.equal(evicted.localBlocksEvicted, Math.ceil(size / (8 * 1024 * 1024)))
    await fn({ server, url, port: Number(new URL(url).port), remoteDir })
  } finally {
    await stopServer(server)
  }
}
