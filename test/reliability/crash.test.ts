/**
 * Crash consistency, short form: the driver is SIGKILLed at random moments (mid-write,
 * mid-upload, mid-eviction, during recovery); after each restart every acknowledged byte
 * reads back exactly and nothing foreign appears. The long form is `npm run torture`.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type CrashFigures, runCrashCampaign } from './support/crash-campaign.js'
import { fsSqliteTarget, type OpenedTarget, s3PostgresTarget } from './support/targets.js'

const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1e9)

async function campaign(opened: OpenedTarget, rounds: number): Promise<CrashFigures> {
  try {
    const f = await runCrashCampaign(opened.target, { rounds, seed, maxKillMs: 800, minAcks: 1 })
    console.log(`${JSON.stringify({ ...f, recoveryMs: f.recoveryMs.map(Math.round) })}`)
    return f
  } finally {
    await opened.dispose()
  }
}

function assertClean(f: CrashFigures): void {
  assert.equal(f.bytesLost, 0, `seed ${seed}: acknowledged bytes lost`)
  // Unacknowledged state must be old or new per unit, never foreign (the violations list
  // carries each affected payload's recent history; CRASH_SEED=<seed> replays the choices).
  assert.deepEqual(f.violations, [], `seed ${seed}`)
  assert.ok(f.flushesAcked > 0, 'the driver acknowledged flushes')
  assert.ok(f.bytesVerified > 0, 'bytes were verified')
}

describe('crash consistency under SIGKILL', () => {
  it('fs local + fs remote + SQLite: every acknowledged byte survives a SIGKILL, nothing foreign appears', async () => {
    assertClean(await campaign(await fsSqliteTarget(), Number(process.env.CRASH_ROUNDS ?? 4)))
  })

  it('fs local + S3 + PostgreSQL: every acknowledged byte survives a SIGKILL, nothing foreign appears', async (t) => {
    const opened = await s3PostgresTarget()
    if (typeof opened === 'string') {
      t.skip(opened)
      return
    }
    assertClean(await campaign(opened, Number(process.env.CRASH_ROUNDS ?? 2)))
  })
})
