/**
 * Child process of rename-crash.test.ts: opens an fs + SQLite engine whose metadata store
 * stops forever at one chosen point of a replacement (or of leftover collection), says so on
 * stdout, and waits there to be SIGKILLed.
 * Usage: node --import tsx rename-crash-child.ts '<{"dir","mode","id"}>'
 */
import { writeSync } from 'node:fs'
import { join } from 'node:path'
import { pattern } from '../../../src/conformance/index.js'
import { BlockSize } from '../../../src/core/constants.js'
import type { MetadataStore } from '../../../src/core/metadata-store.js'
import { StagingPayloadPrefix } from '../../../src/core/payload-id.js'
import { openBlockStore } from '../../../src/engine/index.js'
import { SqliteMetadataStore } from '../../../src/meta/sqlite/index.js'

/** Where the child stops. */
export type CrashPoint = 'before-commit' | 'after-commit' | 'collecting'

const { dir, mode, id } = JSON.parse(process.argv[2] ?? '{}') as {
  dir: string
  mode: CrashPoint
  id: string
}

/** The new content a replacement writes (three blocks, the last one partial). */
export const NEW_SIZE = 2 * BlockSize + 4321

function say(line: string): void {
  writeSync(1, `${line}\n`)
}

const forever = (): Promise<never> => new Promise(() => setInterval(() => {}, 60_000))

const inner = await SqliteMetadataStore.open({ path: join(dir, 'meta.db') })
const metadata = new Proxy(inner, {
  get(target, key) {
    const value = Reflect.get(target, key, target)
    if (key === 'renamePayload' && mode !== 'collecting') {
      return async (...args: Parameters<MetadataStore['renamePayload']>) => {
        if (mode === 'before-commit') {
          say('stopped')
          return forever()
        }
        await target.renamePayload(...args)
        say('stopped')
        return forever()
      }
    }
    if (key === 'deletePayload' && mode === 'collecting') {
      return async (pid: string) => {
        const deleted = await target.deletePayload(pid)
        if (pid.startsWith(StagingPayloadPrefix)) {
          say('stopped')
          return forever()
        }
        return deleted
      }
    }
    return typeof value === 'function' ? value.bind(target) : value
  },
}) as MetadataStore

const store = await openBlockStore({
  local: { kind: 'fs', dir: join(dir, 'local') },
  metadata,
  readBufferBytes: 0,
})
say('opened')
if (mode !== 'collecting') {
  const r = await store.beginReplace(id)
  await r.writeAt(pattern(NEW_SIZE, 77).subarray(0, BlockSize + 5), 0)
  await r.writeAt(pattern(NEW_SIZE, 77).subarray(BlockSize + 5), BlockSize + 5)
  await r.commit()
  say('committed without stopping')
}
await forever()
