/**
 * Crash consistency, short form: the driver is SIGKILLed at random moments (mid-write,
 * mid-upload, mid-eviction, during recovery); after each restart every acknowledged byte
 * reads back exactly and nothing foreign appears. The long form is `npm run torture`.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { type CrashFigures, runCrashCampaign } from './support/crash-campaign.js'

function assertClean(f: CrashFigures): void {
  assert.deepEqual(f.violations, [])
  assert.equal(f.bytesLost, 0)
  assert.ok(f.flushesAcked > 0, 'the driver acknowledged flushes')
  assert.ok(f.bytesVerified > 0, 'bytes were verified')
}

describe('crash consistency', () => {
  it('fs local + fs remote + SQLite: acknowledged bytes survive every SIGKILL', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'crash-fs-'))
    try {
      const f = await runCrashCampaign(
        {
          name: 'fs+fs+sqlite',
          dir,
          remote: { kind: 'fs', dir: join(dir, 'remote') },
          metadata: { kind: 'sqlite', path: join(dir, 'meta.db') },
          maxDiskBytes: 40 * 1024 * 1024,
        },
        {
          rounds: Number(process.env.CRASH_ROUNDS ?? 8),
          seed: Number(process.env.CRASH_SEED ?? Date.now() % 1e9),
        },
      )
      console.log(JSON.stringify({ ...f, recoveryMs: f.recoveryMs.map(Math.round) }))
      assertClean(f)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
