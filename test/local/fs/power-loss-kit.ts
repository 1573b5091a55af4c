/**
 * Power loss for fs local store tests over SQLite: the SQLite files are put back as they were
 * at the last snapshot (what a disk keeps of a WAL whose later frames were never synced; take
 * one right after a sync), and the caller cuts the block files' unsynced bytes as it needs.
 */
import { copyFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import type { MetadataStore } from '../../../src/core/metadata-store.js'
import { FsLocalStore } from '../../../src/local/fs/fs-local-store.js'
import { FsLayout } from '../../../src/local/fs/layout.js'
import { SqliteMetadataStore } from '../../../src/meta/sqlite/index.js'
import { tempDir } from '../helpers.js'

/** A store over SQLite, as opened by {@link powerLossKit}. */
export interface Opened {
  readonly store: FsLocalStore
  readonly metadata: SqliteMetadataStore
}

/** Opens stores on one directory and database, snapshots the database and takes power losses. */
export async function powerLossKit(t: TestContext) {
  const dir = await tempDir(t)
  const dbPath = join(dir, 'meta.db')
  const layout = new FsLayout(join(dir, 'local'))
  const opened: Opened[] = []
  t.after(async () => {
    for (const o of opened) {
      await o.store.close().catch(() => {})
      await o.metadata.close()
    }
  })
  const open = async (wrap?: (m: SqliteMetadataStore) => MetadataStore): Promise<Opened> => {
    const metadata = await SqliteMetadataStore.open({ path: dbPath })
    const store = await FsLocalStore.open({
      dir: layout.dir,
      metadata: wrap?.(metadata) ?? metadata,
    })
    const o = { store, metadata }
    opened.push(o)
    return o
  }
  const files = ['', '-wal']
  /** Copies the database as it is now: call right after a sync, when that is what is durable. */
  const snapshot = async (): Promise<void> => {
    for (const f of files) await copyFile(dbPath + f, `${dbPath}${f}.synced`)
  }
  /** Kills the process's state and puts back the database of the last snapshot. */
  const powerLoss = async (o: Opened) => {
    await o.store.abandon()
    await o.metadata.close()
    opened.splice(opened.indexOf(o), 1)
    for (const f of files) await copyFile(`${dbPath}${f}.synced`, dbPath + f)
    await rm(`${dbPath}-shm`, { force: true })
  }
  return { open, snapshot, powerLoss, layout }
}
