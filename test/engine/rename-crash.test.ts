/**
 * Kills aimed at the delicate points of a whole-payload replacement, on fs + SQLite: after the
 * staging flush and before the rename's commit (the payload must stay old, the staging
 * leftover be collected at the next open), right after the commit and before the block files
 * are moved into place (recovery must finish the move: the payload is new), and during the
 * collection of leftovers itself (the next open finishes it). No zero-size ghost, no mix, no
 * staging payload listed or left on disk.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { pattern, readAll } from '../../src/conformance/index.js'
import { BlockSize } from '../../src/core/constants.js'
import { openBlockStore } from '../../src/engine/index.js'
import { FsLayout } from '../../src/local/fs/layout.js'
import { SqliteMetadataStore } from '../../src/meta/sqlite/index.js'
import type { CrashPoint } from './support/rename-crash-child.js'

const here = dirname(fileURLToPath(import.meta.url))
const NEW_SIZE = 2 * BlockSize + 4321
const OLD = pattern(3 * BlockSize + 17, 5)
const dirs: string[] = []
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

async function open(dir: string) {
  const metadata = await SqliteMetadataStore.open({ path: join(dir, 'meta.db') })
  const store = await openBlockStore({
    local: { kind: 'fs', dir: join(dir, 'local') },
    metadata,
    readBufferBytes: 0,
  })
  return {
    store,
    metadata,
    async close() {
      await store.close()
      await metadata.close()
    },
  }
}

/** Runs the child until it says it stopped at `mode`, then SIGKILLs it. */
async function killAt(dir: string, mode: CrashPoint, id: string): Promise<void> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(here, 'support', 'rename-crash-child.ts'),
      JSON.stringify({ dir, mode, id }),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let err = ''
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString()
  })
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(String(signal ?? code))),
  )
  const lines = createInterface({ input: child.stdout })
  let stopped = false
  for await (const line of lines) {
    if (line === 'stopped') {
      stopped = true
      child.kill('SIGKILL')
      break
    }
    if (line === 'committed without stopping') break
  }
  if (!stopped) child.kill('SIGKILL')
  const how = await exited
  assert.ok(stopped, `child never reached ${mode} (exit ${how}): ${err}`)
  assert.equal(how, 'SIGKILL')
}

/** Payload IDs that have block files under the local directory (no staged or linked file left). */
async function localIds(dir: string): Promise<string[]> {
  const out = new Set<string>()
  const blocks = join(dir, 'local', 'blocks')
  for (const shard of await readdir(blocks).catch(() => [])) {
    const names = await readdir(join(blocks, shard))
    assert.deepEqual(
      names.filter((n) => n.endsWith('.ren') || n.endsWith('.next')),
      [],
    )
    for (const n of names) {
      const id = FsLayout.idOfStem(n.slice(0, n.indexOf('.')))
      assert.ok(id !== undefined, `${n} names a payload`)
      out.add(id)
    }
  }
  return [...out].sort()
}

async function prepared(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ditto-rename-crash-'))
  dirs.push(dir)
  const e = await open(dir)
  await e.store.writeAt('doc', OLD, 0)
  await e.store.flush('doc')
  await e.close()
  return dir
}

/** After a restart: `doc` holds `want`, `fresh` is as given, and no staging is left anywhere. */
async function check(dir: string, want: Uint8Array, fresh: Uint8Array | undefined): Promise<void> {
  const e = await open(dir)
  try {
    assert.deepEqual(await readAll(e.store, 'doc'), want)
    if (fresh === undefined) assert.equal(await e.store.exists('fresh'), false)
    else assert.deepEqual(await readAll(e.store, 'fresh'), fresh)
    const ids = (await e.store.listPayloads()).items.map((r) => r.id)
    assert.deepEqual(ids, fresh === undefined ? ['doc'] : ['doc', 'fresh'])
    assert.deepEqual((await e.metadata.listPayloads({ prefix: '.ditto/' })).items, [])
    assert.equal((await e.store.stats()).contentCount, ids.length)
  } finally {
    await e.close()
  }
  assert.deepEqual(await localIds(dir), fresh === undefined ? ['doc'] : ['doc', 'fresh'])
}

describe('replacement killed at its delicate points (fs + SQLite)', () => {
  it('between the staging flush and the rename commit: old content, leftover collected', async () => {
    const dir = await prepared()
    await killAt(dir, 'before-commit', 'doc')
    await killAt(dir, 'before-commit', 'fresh')
    await check(dir, OLD, undefined)
  })

  it('after the rename commit, before the files move: recovery finishes the move', async () => {
    const dir = await prepared()
    await killAt(dir, 'after-commit', 'doc')
    await killAt(dir, 'after-commit', 'fresh')
    const next = pattern(NEW_SIZE, 77)
    await check(dir, next, next)
  })

  it('during the collection of leftovers: the next open finishes it', async () => {
    const dir = await prepared()
    await killAt(dir, 'before-commit', 'doc')
    await killAt(dir, 'collecting', 'doc')
    await check(dir, OLD, undefined)
  })
})
