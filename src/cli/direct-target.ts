/** The CLI on a data directory: the engine runs in this process. */
import { Readable, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ResolvedConfig } from '../app/config.js'
import { openConfiguredEngine } from '../app/configured-engine.js'
import type { FlushManyResult } from '../core/block-store.js'
import { readToStream, writeFromStream } from '../engine/payload-stream.js'
import type { BatchFlushReport, CliTarget, OnProgress, PutResult } from './target.js'

/** The engine's batch result in the CLI's (and the HTTP API's) shape. */
function batchReport(r: FlushManyResult): BatchFlushReport {
  return {
    results: r.results.map(({ payloadId, finalized }) => ({ id: payloadId, finalized })),
    failures: r.failures.map(({ payloadId, code, message }) => ({ id: payloadId, code, message })),
  }
}

/**
 * Opens the configured engine (taking the data directory's lock).
 * @throws {BlockStoreError} BS_BUSY when a server holds the directory.
 */
export async function openDirectTarget(resolved: ResolvedConfig): Promise<CliTarget> {
  const opened = await openConfiguredEngine(resolved)
  const engine = opened.engine
  const target: CliTarget = {
    async put(id, source, onProgress): Promise<PutResult> {
      // All or nothing, like the server's PUT: a failing source or an interrupt leaves `id`.
      const replacement = await engine.beginReplace(id)
      try {
        const sink = {
          writeAt: (_: string, data: Uint8Array, at: number) => replacement.writeAt(data, at),
        }
        await writeFromStream(sink, id, source, {
          ...(onProgress === undefined ? {} : { onProgress }),
        })
        const { size, finalized } = await replacement.commit()
        return { id, size, finalized }
      } catch (err) {
        await replacement.abort().catch(() => {})
        throw err
      }
    },
    async get(id, sink: Writable, onSize, onProgress?: OnProgress): Promise<number> {
      const size = await engine.getSize(id)
      onSize?.(size)
      let done = 0
      async function* counted(): AsyncGenerator<Uint8Array> {
        for await (const chunk of readToStream(engine, id, 0, size)) {
          done += chunk.byteLength
          onProgress?.(done)
          yield chunk
        }
      }
      await pipeline(Readable.from(counted()), sink, { end: sink !== process.stdout })
      return done
    },
    stat: (id) => engine.stat(id),
    list: (prefix, cursor, limit) =>
      engine.listPayloads({
        ...(prefix === undefined ? {} : { prefix }),
        ...(cursor === undefined ? {} : { cursor }),
        limit,
      }),
    remove: (id) => engine.delete(id),
    async truncate(id, size) {
      await engine.truncate(id, size)
      await engine.flush(id)
    },
    async copy(src, dst) {
      const n = await engine.copyPayload(src, dst)
      await engine.flush(dst)
      return n
    },
    flush: (id) => engine.flush(id),
    flushMany: async (ids) => batchReport(await engine.flushMany(ids)),
    flushAll: async () => batchReport(await engine.flushAll()),
    drain: () => engine.drainAllUploads(),
    gc: (r, onScanned) =>
      engine.collectGarbage({
        dryRun: r.dryRun,
        ...(onScanned === undefined ? {} : { onProgress: (p) => onScanned(p.objectsScanned) }),
        ...(r.grace === undefined ? {} : { gracePeriodMs: r.grace.ms }),
        ...(r.prefix === undefined ? {} : { prefix: r.prefix }),
        ...(r.maxDeletions === undefined ? {} : { maxDeletions: r.maxDeletions }),
      }),
    stats: () => engine.stats(),
    health: () => engine.healthcheck(),
    evict: (options) => engine.evict(options),
    close: () => opened.close(),
    [Symbol.asyncDispose]: () => opened.close(),
  }
  return target
}
