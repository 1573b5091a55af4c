/** BlockStore conformance on fs local + fs remote + SQLite metadata, with restart. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeBlockStore } from '../../src/conformance/index.js'
import { SqliteMetadataStore } from '../../src/meta/sqlite/index.js'
import { FsRemoteStore } from '../../src/remote/fs/index.js'
import {
  destroyFsEngineFixture,
  fsEngineFixture,
  reopenFsEngineFixture,
} from '../support/engine-fixture.js'

describeBlockStore({
  name: 'fs local + fs remote + SQLite metadata',
  async create() {
    const dir = await mkdtemp(join(tmpdir(), 'engine-fs-'))
    const remote = await FsRemoteStore.open({ root: join(dir, 'remote') })
    const metadata = await SqliteMetadataStore.open({ path: join(dir, 'meta.db') })
    return fsEngineFixture({
      remote,
      metadata,
      async dispose() {
        await remote.close()
        await metadata.close()
        await rm(dir, { recursive: true, force: true })
      },
    })
  },
  reopen: reopenFsEngineFixture,
  destroy: destroyFsEngineFixture,
})
