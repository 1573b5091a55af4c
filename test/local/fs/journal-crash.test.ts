import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { pattern, readLocal } from '../../../src/conformance/local-store/fixture.js'
import { FsLocalStore } from '../../../src/local/fs/fs-local-store.js'
import { FsLayout } from '../../../src/local/fs/layout.js'
import { SqliteMetadataStore } from '../../../src/meta/sqlite/sqlite-metadata-store.js'
import { tempDir, walkBlocks } from '../helpers.js'

const child = fileURLToPath(new URL('../fixtures/journal-kill-child.ts', import.meta.url))

/** Runs the child until it is killed; returns its stdout lines and how it ended. */
function runChild(
  mode: string,
  dir: string,
  db: string,
  seed: number,
): Promise<{ lines: string[]; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, mode, dir, db, String(seed)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    proc.stdout.on('data', (c: Buffer) => {
      out += c.toString()
      // The replay needed fewer reads than the kill point: it is done, kill it here.
      if (out.includes('opened\n')) proc.kill('SIGKILL')
    })
    proc.once('error', reject)
    proc.once('exit', (_code, signal) => resolve({ lines: out.split('\n'), signal }))
  })
}

async function openSqlite(dir: string, db: string) {
  const metadata = await SqliteMetadataStore.open({ path: db })
  const store = await FsLocalStore.open({ dir, metadata })
  return {
    store,
    metadata,
    async close() {
      await store.close()
      await metadata.close()
    },
  }
}

describe('flush journal under SIGKILL at its exact steps (fs + SQLite)', () => {
  it('a kill after the record is synced and before the rows commit loses nothing acknowledged', async (t) => {
    for (let seed = 1; seed <= 6; seed++) {
      const dir = await tempDir(t)
      const db = join(dir, 'meta.db')
      const { lines, signal } = await runChild('commit', join(dir, 'store'), db, seed)
      assert.equal(signal, 'SIGKILL')
      // Model: each payload's bytes after every acknowledged flush; the write the kill cut
      // short may show or not, but whole: the block is the old or the new bytes.
      const model = new Map<string, Uint8Array>()
      const apply = (id: string, dataSeed: number, len: number): Uint8Array => {
        const old = model.get(id) ?? new Uint8Array(0)
        const next = new Uint8Array(Math.max(old.length, len))
        next.set(old)
        next.set(pattern(len, dataSeed), 0)
        return next
      }
      let n = 0
      for (const line of lines) {
        const m = /^ack (\S+) (\d+) (\d+)$/.exec(line)
        if (m === null) continue
        n++
        model.set(m[1] ?? '', apply(m[1] ?? '', Number(m[2]), Number(m[3])))
      }
      assert.ok(n >= 1, `seed ${seed}: the child acknowledged nothing`)
      const cutId = `k/${(n + 1) % 4}`
      const cut = apply(cutId, seed * 100 + n + 1, 4096 + ((n + 1) % 3) * 1000)
      const { store, close } = await openSqlite(join(dir, 'store'), db)
      try {
        for (const [id, bytes] of model) {
          if (id === cutId) continue
          assert.deepEqual(await readLocal(store, id, 0, bytes.length), bytes, `seed ${seed} ${id}`)
        }
        const before = model.get(cutId)
        const size = (await store.getFileSize(cutId)) ?? 0
        const got = size === 0 ? new Uint8Array(0) : await readLocal(store, cutId, 0, size)
        const ok =
          (before === undefined && size === 0) ||
          (before !== undefined && Buffer.from(got).equals(before)) ||
          Buffer.from(got).equals(cut)
        assert.ok(ok, `seed ${seed}: ${cutId} is neither its acknowledged nor its new content`)
      } finally {
        await close()
      }
    }
  })

  it('a kill in the middle of the replay is finished by the next open', async (t) => {
    const ids = Array.from({ length: 10 }, (_, i) => `r/${i}`)
    for (let seed = 0; seed < 12; seed += 3) {
      const dir = await tempDir(t)
      const storeDir = join(dir, 'store')
      const db = join(dir, 'meta.db')
      const first = await openSqlite(storeDir, db)
      for (const [i, id] of ids.entries()) await first.store.writeAt(id, pattern(4096, i), 0)
      await Promise.all(ids.map((id) => first.store.flush(id)))
      await first.store.abandon()
      await first.metadata.close()
      // A power loss: the block files never reached the disk, only the journal did. (With
      // packs the records are the copies and there are no files: the replay writes them.)
      const layout = new FsLayout(storeDir)
      for (const id of ids) {
        await truncate(layout.blockPath(id, 0), 0).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err
        })
      }
      const { signal } = await runChild('replay', storeDir, db, seed)
      assert.equal(signal, 'SIGKILL')
      const again = await openSqlite(storeDir, db)
      try {
        for (const [i, id] of ids.entries()) {
          assert.deepEqual(await readLocal(again.store, id, 0, 4096), pattern(4096, i), id)
        }
      } finally {
        await again.close()
      }
    }
  })

  it('a kill in the live change of a reset, after its record, gives the new content', async (t) => {
    for (let seed = 0; seed < 9; seed++) {
      const dir = await tempDir(t)
      const storeDir = join(dir, 'store')
      const db = join(dir, 'meta.db')
      const { lines, signal } = await runChild('reset', storeDir, db, seed)
      assert.equal(signal, 'SIGKILL')
      const acked = lines.filter((l) => l.startsWith('reset ')).length
      // The reset the kill cut had its record synced: it is the content now, whole.
      const n = acked + 1
      const want = pattern(2000 + n * 10, seed * 100 + n)
      // Every other seed, a second kill cuts the replay of that record short first.
      if (seed % 2 === 1)
        assert.equal((await runChild('replay', storeDir, db, seed)).signal, 'SIGKILL')
      const again = await openSqlite(storeDir, db)
      try {
        assert.equal(await again.store.getFileSize('z'), want.length, `seed ${seed}`)
        assert.deepEqual(await readLocal(again.store, 'z', 0, want.length), want, `seed ${seed}`)
        const rows = (await again.metadata.listFileBlocks('z')).map((r) => r.id)
        assert.deepEqual(rows, ['z/0'], `seed ${seed}: the old second block is gone`)
      } finally {
        await again.close()
      }
    }
  })

  it('a kill while a generation is sealed into a pack (before or after its rename) loses nothing', async (t) => {
    for (let seed = 0; seed < 8; seed++) {
      const dir = await tempDir(t)
      const storeDir = join(dir, 'store')
      const db = join(dir, 'meta.db')
      const { lines, signal } = await runChild('seal', storeDir, db, seed)
      assert.equal(signal, 'SIGKILL')
      const acked = new Map<string, number>()
      for (const line of lines) {
        const m = /^ack (\S+) (\d+)$/.exec(line)
        if (m !== null) acked.set(m[1] ?? '', Number(m[2]))
      }
      assert.ok(
        acked.size >= 3 * (1 + (seed % 4)),
        `seed ${seed}: the child did not reach its seal`,
      )
      const check = async (store: FsLocalStore, when: string): Promise<void> => {
        for (const [id, dataSeed] of acked) {
          const got = await readLocal(store, id, 0, 4096)
          assert.deepEqual(got, pattern(4096, dataSeed), `seed ${seed} ${when}: ${id}`)
        }
      }
      const again = await openSqlite(storeDir, db)
      try {
        await check(again.store, 'after the kill')
        // The generation the kill cut is sealed (or its records moved) by the next
        // checkpoints, and the disk counter matches the files and packs.
        await again.store.checkpoint()
        await check(again.store, 'after a checkpoint')
        const walked = await walkBlocks(storeDir)
        assert.equal(again.store.stats().diskUsed, walked.bytes, `seed ${seed}: disk counter`)
      } finally {
        await again.close()
      }
      const third = await openSqlite(storeDir, db)
      try {
        await check(third.store, 'reopened')
      } finally {
        await third.close()
      }
    }
  })

  it('a kill inside the compaction of a pack (between row moves, before the emptied pack goes) loses nothing', async (t) => {
    // Kills at the 1st, 6th, 12th, 18th and 24th (last) of the 24 row moves, at the sync of
    // the checkpoint that follows them (the emptied pack still there), and at the next one.
    for (const seed of [0, 5, 11, 17, 23, 24, 25]) {
      const dir = await tempDir(t)
      const storeDir = join(dir, 'store')
      const db = join(dir, 'meta.db')
      const { lines, signal } = await runChild('compact', storeDir, db, seed)
      assert.equal(signal, 'SIGKILL')
      const live = new Map<string, number>()
      const gone: string[] = []
      for (const line of lines) {
        const l = /^live (\S+) (\d+)$/.exec(line)
        if (l !== null) live.set(l[1] ?? '', Number(l[2]))
        const g = /^gone (\S+)$/.exec(line)
        if (g !== null) gone.push(g[1] ?? '')
      }
      assert.equal(live.size, 24, `seed ${seed}: the child did not reach the compaction`)
      const check = async (store: FsLocalStore, when: string): Promise<void> => {
        for (const [id, dataSeed] of live) {
          const got = await readLocal(store, id, 0, 64 * 1024)
          assert.deepEqual(got, pattern(64 * 1024, dataSeed), `seed ${seed} ${when}: ${id}`)
        }
        for (const id of gone) assert.equal(await store.getFileSize(id), undefined, id)
      }
      const again = await openSqlite(storeDir, db)
      try {
        await check(again.store, 'after the kill')
        // What the kill left half-done is finished or undone: compacting again leaves one
        // pack of the live records, and the disk counter matches the files.
        await again.store.compactPacks()
        await again.store.checkpoint()
        await check(again.store, 'compacted again')
        const walked = await walkBlocks(storeDir)
        assert.equal(again.store.stats().diskUsed, walked.bytes, `seed ${seed}: disk counter`)
        assert.ok(walked.bytes < 24 * 70 * 1024, `seed ${seed}: ${walked.bytes} bytes left`)
      } finally {
        await again.close()
      }
    }
  })
})
