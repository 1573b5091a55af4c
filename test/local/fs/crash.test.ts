import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { pattern } from '../../../src/conformance/local-store/fixture.js'
import { FsLocalStore } from '../../../src/local/fs/fs-local-store.js'
import { SqliteMetadataStore } from '../../../src/meta/sqlite/sqlite-metadata-store.js'
import { tempDir } from '../helpers.js'

const CHILD = fileURLToPath(new URL('../fixtures/crash-child.ts', import.meta.url))
const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 20)

interface Write {
  readonly id: string
  readonly offset: number
  readonly len: number
  readonly dataSeed: number
}

/** Runs the child until `acks` writes are acknowledged (plus a random delay), then SIGKILLs it. */
function runAndKill(
  args: string[],
  acks: number,
  onBegin: (w: Write) => void,
  onAck: () => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let seen = 0
    let buffered = ''
    let killed = false
    child.stdout?.setEncoding('utf8')
    child.stdout?.on('data', (chunk: string) => {
      buffered += chunk
      let nl = buffered.indexOf('\n')
      while (nl >= 0) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        nl = buffered.indexOf('\n')
        const msg = JSON.parse(line) as { t: string } & Write
        if (msg.t === 'begin') onBegin(msg)
        else {
          onAck()
          if (++seen >= acks && !killed) {
            killed = true
            // Kill at a random moment inside the next write or flush.
            setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 15))
          }
        }
      }
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve()
      else reject(new Error(`child exited with ${code ?? signal}`))
    })
  })
}

describe('FsLocalStore under SIGKILL', () => {
  it(`every byte acknowledged by a returned flush reads back after ${ROUNDS} kills`, async (t) => {
    const dir = await tempDir(t, 'ditto-crash-')
    // Two independent lanes (own directory and database) halve the wall time on 2 cores.
    await Promise.all([0, 1].map((lane) => runLane(join(dir, `lane${lane}`), lane, ROUNDS / 2)))
  })
})

/** Kills and restarts one store `rounds` times, checking every acknowledged byte each time. */
async function runLane(dir: string, lane: number, rounds: number): Promise<void> {
  await mkdir(dir, { recursive: true })
  const storeDir = join(dir, 'store')
  const dbPath = join(dir, 'meta.db')
  const model = new Map<string, Uint8Array>()
  for (let round = 0; round < rounds; round++) {
    let pending: Write | undefined
    await runAndKill(
      [storeDir, dbPath, String(round * 7919 + lane * 104729 + 1)],
      1 + Math.floor(Math.random() * 4),
      (w) => {
        pending = w
      },
      () => {
        const w = pending!
        const old = model.get(w.id) ?? new Uint8Array(0)
        const next = old.length >= w.offset + w.len ? old : new Uint8Array(w.offset + w.len)
        if (next !== old) next.set(old)
        next.set(pattern(w.len, w.dataSeed), w.offset)
        model.set(w.id, next)
        pending = undefined
      },
    )
    await verify(storeDir, dbPath, model, pending, `lane ${lane} round ${round}`)
  }
}

/** Reopens the store and compares every payload with the model (adopting the pending write). */
async function verify(
  storeDir: string,
  dbPath: string,
  model: Map<string, Uint8Array>,
  pending: Write | undefined,
  label: string,
): Promise<void> {
  const metadata = await SqliteMetadataStore.open({ path: dbPath })
  const store = await FsLocalStore.open({ dir: storeDir, metadata })
  try {
    assert.deepEqual(store.recovery?.lostBlocks, [], label)
    const ids = new Set([...model.keys(), ...(pending === undefined ? [] : [pending.id])])
    for (const id of ids) {
      const want = model.get(id) ?? new Uint8Array(0)
      const size = (await store.getFileSize(id)) ?? 0
      assert.ok(size >= want.length, `${label}: ${id} size ${size} < ${want.length}`)
      const got = new Uint8Array(size)
      const r = await store.readAt(id, got, 0)
      assert.deepEqual(r.remoteBlocks, [])
      // Bytes of the one unacknowledged write may be old or new; every other byte is exact.
      const skip = pending?.id === id ? [pending.offset, pending.offset + pending.len] : [0, 0]
      const from = Math.min(skip[0]!, want.length)
      const to = Math.min(skip[1]!, want.length)
      for (const [a, b] of [
        [0, from],
        [to, want.length],
      ] as const) {
        if (Buffer.compare(got.subarray(a, b), want.subarray(a, b)) !== 0) {
          assert.fail(`${label}: ${id} differs in bytes [${a}, ${b})`)
        }
      }
      // What recovery kept of the unacknowledged write (possibly past the acknowledged size)
      // is the payload's content from now on.
      model.set(id, got)
    }
  } finally {
    await store.close()
    await metadata.close()
  }
}
