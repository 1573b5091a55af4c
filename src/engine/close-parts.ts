/**
 * Closing the engine's parts: background work first, then the stores the engine opened itself
 * (stores passed in by value belong to the caller).
 */
import type { EngineParts } from './parts.js'

/**
 * Closes every part even when one fails, in dependency order.
 * @throws the single failure, or an AggregateError of all of them.
 */
export async function closeParts(p: EngineParts): Promise<void> {
  const errors: unknown[] = []
  const step = async (fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn()
    } catch (err) {
      errors.push(err)
    }
  }
  await step(() => p.prefetcher.close())
  // Local caching of fetched blocks must finish before the local store closes.
  await step(() => p.read.background.close())
  await step(() => p.buffer.close())
  await step(() => p.syncer.close())
  for (const part of [p.local, p.remote, p.metadata]) {
    if (part?.owned === true) await step(() => part.store.close())
  }
  if (errors.length === 1) throw errors[0]
  if (errors.length > 1) throw new AggregateError(errors, 'closing the block store failed')
}
