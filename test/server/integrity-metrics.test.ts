/**
 * A remote object that fails verification is counted where operators look: the Prometheus
 * exposition of a spawned server and the CLI's `stats` against it, for people and as JSON.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { cliBin, patternBytes, type ServerProcess, stopServer } from '../support/server-process.js'
import { type RemoteServer, withRemoteServer } from './read-errors-kit.js'

const run = promisify(execFile)

/** The value of an unlabelled sample in a Prometheus exposition, or undefined when absent. */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  return line === undefined ? undefined : Number(line.slice(name.length + 1))
}

async function metrics(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`)
  assert.equal(res.status, 200)
  return res.text()
}

/** The one block object of the remote directory (not its format file nor chunk indexes). */
async function onlyObject(remoteDir: string): Promise<{ path: string; size: number }> {
  const found: { path: string; size: number }[] = []
  for (const entry of await readdir(remoteDir, { recursive: true })) {
    const path = join(remoteDir, entry)
    const st = await stat(path)
    if (st.isFile() && !entry.startsWith('.') && !entry.endsWith('.chunks')) {
      found.push({ path, size: st.size })
    }
  }
  assert.equal(found.length, 1, JSON.stringify(found))
  return found[0]!
}

describe('integrity failures in /metrics and CLI stats (spawned server, file:// remote)', () => {
  const servers: ServerProcess[] = []
  after(async () => {
    for (const s of servers) await stopServer(s)
  })

  it('counts each refused fetch in ditto_integrity_failures_total and in `stats`', async () => {
    await withRemoteServer(servers, 100_000, async (s: RemoteServer) => {
      assert.equal(sample(await metrics(s.url), 'ditto_integrity_failures_total'), 0)
      const cleanStats = await run(process.execPath, [cliBin, 'stats', '--url', s.url])
      assert.match(cleanStats.stdout, /^integrity failures\s+0$/m)

      const object = await onlyObject(s.remoteDir)
      await writeFile(object.path, patternBytes(object.size, 999))
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${s.url}/v1/payloads/cold`)
        assert.equal(res.status, 500)
        assert.equal(((await res.json()) as { code: string }).code, 'BS_INTEGRITY_CHECK_FAILED')
      }
      const text = await metrics(s.url)
      assert.match(text, /# TYPE ditto_integrity_failures_total counter/)
      assert.equal(sample(text, 'ditto_integrity_failures_total'), 2)
      // Damaged data is not an outage: the remote stays healthy.
      assert.equal(sample(text, 'ditto_remote_healthy'), 1)

      const human = await run(process.execPath, [cliBin, 'stats', '--url', s.url])
      assert.match(
        human.stdout,
        /^integrity failures\s+2 \(fetched blocks refused: bytes did not match their hash\)$/m,
      )
      const json = await run(process.execPath, [cliBin, 'stats', '--url', s.url, '--json'])
      assert.equal((JSON.parse(json.stdout) as { integrityFailures: number }).integrityFailures, 2)
    })
  })
})
