/**
 * Background pressure of the load campaign: garbage collection with no grace period in a loop
 * (so copies' shared references race sweeps) and explicit evictions of every safely remote
 * block (so copies' sources and destinations are often remote-only).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Engine } from '../../../src/engine/index.js'

/** What the background loops did. */
export interface BackgroundFigures {
  gcRuns: number
  gcDeleted: number
  gcRaced: number
  evictions: number
  blocksEvicted: number
}

/** Two loops running until `stop()`, which awaits them. Errors go to `errors`. */
export function startBackground(
  store: Engine,
  errors: string[],
  evictEveryMs: number,
): { figures: BackgroundFigures; stop(): Promise<void> } {
  const figures: BackgroundFigures = {
    gcRuns: 0,
    gcDeleted: 0,
    gcRaced: 0,
    evictions: 0,
    blocksEvicted: 0,
  }
  let running = true
  const loop = async (name: string, step: () => Promise<void>, pauseMs: number) => {
    while (running) {
      try {
        await step()
      } catch (err) {
        errors.push(`${name}: ${String(err)}`)
      }
      await sleep(pauseMs)
    }
  }
  const gc = loop(
    'gc',
    async () => {
      // The only GC caller in this process, so BS_BUSY cannot happen: it would be an error.
      const r = await store.collectGarbage({ gracePeriodMs: 0, allowShortGrace: true })
      figures.gcRuns++
      figures.gcDeleted += r.deleted
      figures.gcRaced += r.raced
      if (r.errors > 0) errors.push(`gc: ${r.errorSamples.join('; ')}`)
    },
    5,
  )
  const evict = loop(
    'evict',
    async () => {
      const r = await store.evict({ readBuffer: true, local: true })
      figures.evictions++
      figures.blocksEvicted += r.localBlocksEvicted
    },
    evictEveryMs,
  )
  return {
    figures,
    async stop() {
      running = false
      await Promise.all([gc, evict])
    },
  }
}
