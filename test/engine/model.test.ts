/**
 * Model-based random test of the engine: seeded random sequences of writes, reads, truncates,
 * flushes, deletes, copies, drains, evictions, restarts and remote outages, checked after
 * every step against a plain in-memory model of the bytes. MODEL_SEED reproduces a run,
 * MODEL_OPS sets its length (default 2000 per configuration), MODEL_SHRINK_MS the time
 * spent shrinking a failure.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatOps, generateOps } from './model/ops.js'
import { runModel, shrink } from './model/runner.js'
import type { ModelConfigName } from './model/system.js'

const seed = Number(process.env.MODEL_SEED ?? Math.floor(Math.random() * 2 ** 31))
const count = Number(process.env.MODEL_OPS ?? 2000)
const shrinkMs = Number(process.env.MODEL_SHRINK_MS ?? 60_000)

const configs: readonly [ModelConfigName, string, boolean][] = [
  ['memory', 'memory local + memory remote + memory metadata', false],
  ['fs-sqlite', 'fs local + fs remote + SQLite metadata, with close-and-reopen', true],
]

describe('engine model', () => {
  for (const [config, label, canReopen] of configs) {
    it(`matches the byte model over ${count} random operations on ${label} (MODEL_SEED=${seed})`, async () => {
      console.log(`# engine model ${config}: MODEL_SEED=${seed} MODEL_OPS=${count}`)
      const ops = generateOps(seed, count, canReopen)
      const failure = await runModel(config, ops)
      if (failure === undefined) return
      console.log(`# ${config} failed at step ${failure.step}: ${failure.error.message}; shrinking`)
      const small = await shrink(config, ops.slice(0, failure.step + 1), shrinkMs)
      const final = small.failure ?? failure
      assert.fail(
        `engine model (${config}) failed with MODEL_SEED=${seed} MODEL_OPS=${count} at step ${failure.step}: ${failure.error.message}\n` +
          `shortest failing sequence found (${small.ops.length} ops, ${small.runs} shrink runs), failing at step ${final.step}: ${final.error.stack}\n${formatOps(small.ops)}`,
      )
    })
  }
})
