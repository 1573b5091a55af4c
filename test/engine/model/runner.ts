/**
 * Runs operation lists against a system and a plain in-memory model of the bytes
 * (Map<payload, Uint8Array>), checking after every step; shrinks failing lists by delta
 * debugging over the operations.
 */
import assert from 'node:assert/strict'
import { BlockSize } from '../../../src/core/constants.js'
import { type ErrorCode, isBlockStoreError } from '../../../src/core/errors.js'
import { type Op, PIDS, rng, writeBytes } from './ops.js'
import { type ModelConfigName, type ModelSystem, openModelSystem } from './system.js'

/** Where and why a run failed. */
export interface ModelFailure {
  readonly step: number
  readonly error: Error
}

/** A payload's bytes in the model: a growable array, zeroed past `size` (cheap resizes). */
class Bytes {
  #buf = new Uint8Array(0)
  size = 0

  get view(): Uint8Array {
    return this.#buf.subarray(0, this.size)
  }

  resize(size: number): this {
    if (size < this.size) this.#buf.fill(0, size, this.size)
    if (size > this.#buf.length) {
      const next = new Uint8Array(Math.max(size, this.#buf.length * 2))
      next.set(this.#buf.subarray(0, this.size))
      this.#buf = next
    }
    this.size = size
    return this
  }

  write(data: Uint8Array, offset: number): void {
    if (offset + data.length > this.size) this.resize(offset + data.length)
    this.#buf.set(data, offset)
  }

  clone(): Bytes {
    const out = new Bytes().resize(this.size)
    out.write(this.view, 0)
    return out
  }
}

type Model = Map<string, Bytes>

async function expectCode(p: Promise<unknown>, code: ErrorCode, what: string): Promise<void> {
  try {
    await p
  } catch (err) {
    if (isBlockStoreError(err, code)) return
    throw new Error(`${what}: expected ${code}, got ${(err as Error).message}`, { cause: err })
  }
  throw new Error(`${what}: expected ${code}, but it succeeded`)
}

/** Runs one operation list; `undefined` when every step matched the model. */
export async function runModel(
  config: ModelConfigName,
  ops: readonly Op[],
): Promise<ModelFailure | undefined> {
  const sys = await openModelSystem(config)
  const model: Model = new Map()
  const state = { down: false }
  let step = 0
  try {
    for (; step < ops.length; step++) {
      const op = ops[step] as Op
      await apply(sys, model, state, op)
      await check(sys, model, state, op, step)
    }
    step = ops.length
    if (state.down) await sys.setOutage(false)
    state.down = false
    for (const [pid, bytes] of model) await checkRead(sys, model, state, pid, 0, bytes.size + 10)
    return undefined
  } catch (err) {
    return { step, error: err as Error }
  } finally {
    await sys.dispose()
  }
}

async function apply(
  sys: ModelSystem,
  model: Model,
  state: { down: boolean },
  op: Op,
): Promise<void> {
  const e = sys.engine
  switch (op.k) {
    case 'write': {
      const data = writeBytes(op.length, op.seed)
      const failAt = state.down
        ? await firstFetchNeeded(sys, op.pid, op.offset, op.length)
        : undefined
      const old = model.get(op.pid)
      if (failAt === undefined) {
        await e.writeAt(op.pid, data, op.offset)
        const bytes = old ?? new Bytes()
        bytes.write(data, op.offset)
        model.set(op.pid, bytes)
        return
      }
      await expectCode(
        e.writeAt(op.pid, data, op.offset),
        'BS_REMOTE_UNAVAILABLE',
        'write needing remote bytes during an outage',
      )
      // Pieces before the block that needed the remote landed (they lie inside the old size).
      const landed = Math.max(0, failAt * BlockSize - op.offset)
      if (landed > 0 && old !== undefined) old.write(data.subarray(0, landed), op.offset)
      return
    }
    case 'read':
      await checkRead(sys, model, state, op.pid, op.offset, op.length)
      return
    case 'truncate': {
      const old = model.get(op.pid)
      const cut = op.size % BlockSize
      const keep = Math.ceil(op.size / BlockSize)
      let fails = false
      if (state.down && old !== undefined && cut > 0) {
        const boundary = await sys.remoteOnly(op.pid, (keep - 1) * BlockSize, 1)
        fails = boundary.some((b) => b.dataSize > cut)
      }
      if (!fails) {
        await e.truncate(op.pid, op.size)
        model.set(op.pid, (old ?? new Bytes()).resize(op.size))
        return
      }
      await expectCode(
        e.truncate(op.pid, op.size),
        'BS_REMOTE_UNAVAILABLE',
        'truncate into a remote-only block during an outage',
      )
      // Blocks past the new end were dropped before the boundary block failed: holes now.
      if (old !== undefined && keep * BlockSize < old.size) old.view.fill(0, keep * BlockSize)
      return
    }
    case 'flush': {
      if (!model.has(op.pid)) {
        await expectCode(e.flush(op.pid), 'BS_CONTENT_NOT_FOUND', 'flush of a missing payload')
        return
      }
      if (!e.localDurable && state.down) {
        // Not durable anywhere: must not be acknowledged.
        await expectCode(
          e.flush(op.pid),
          'BS_REMOTE_UNAVAILABLE',
          'non-durable flush during an outage',
        )
        return
      }
      const result = await e.flush(op.pid)
      if (!e.localDurable)
        assert.equal(
          result.finalized,
          true,
          'a non-durable local tier acknowledges only uploaded payloads',
        )
      return
    }
    case 'delete':
      if (!model.has(op.pid)) {
        await expectCode(e.delete(op.pid), 'BS_CONTENT_NOT_FOUND', 'delete of a missing payload')
        return
      }
      await e.delete(op.pid)
      model.delete(op.pid)
      return
    case 'copy': {
      const src = model.get(op.src)
      if (src === undefined) {
        await expectCode(
          e.copyPayload(op.src, op.dst),
          'BS_CONTENT_NOT_FOUND',
          'copy of a missing payload',
        )
        return
      }
      await e.copyPayload(op.src, op.dst)
      model.set(op.dst, src.clone())
      return
    }
    case 'drain': {
      if (state.down) {
        await expectCode(e.drainAllUploads(), 'BS_REMOTE_UNAVAILABLE', 'drain during an outage')
        return
      }
      const report = await e.drainAllUploads()
      assert.deepEqual(report.failed, [], 'drain reports no failed block while the remote is up')
      return
    }
    case 'evict':
      await e.evict()
      return
    case 'reopen':
      if (sys.canReopen) await sys.reopen()
      return
    case 'outage':
      if (op.down !== state.down) await sys.setOutage(op.down)
      state.down = op.down
      return
  }
}

/** The first block a write must fetch before it can land (outage decisions only). */
async function firstFetchNeeded(
  sys: ModelSystem,
  pid: string,
  offset: number,
  length: number,
): Promise<number | undefined> {
  for (const b of await sys.remoteOnly(pid, offset, length)) {
    const start = b.idx * BlockSize
    const from = Math.max(offset, start) - start
    const to = Math.min(offset + length, start + BlockSize) - start
    const coversAll = from === 0 && to >= b.dataSize
    if (b.dataSize > 0 && !coversAll) return b.idx
  }
  return undefined
}

/** Reads a range and compares it with the model, expecting the outage error exactly when due. */
async function checkRead(
  sys: ModelSystem,
  model: Model,
  state: { down: boolean },
  pid: string,
  offset: number,
  length: number,
): Promise<void> {
  const dest = new Uint8Array(length).fill(0xee)
  const bytes = model.get(pid)?.view
  if (bytes === undefined) {
    await expectCode(
      sys.engine.readAt(pid, dest, offset),
      'BS_CONTENT_NOT_FOUND',
      `read of missing ${pid}`,
    )
    return
  }
  const end = Math.min(offset + length, bytes.length)
  if (state.down && end > offset) {
    const needed = (await sys.remoteOnly(pid, offset, end - offset)).filter((b) => {
      const validEnd = b.idx * BlockSize + b.dataSize
      return Math.max(offset, b.idx * BlockSize) < Math.min(end, validEnd)
    })
    if (needed.length > 0) {
      // A block fetched before the outage may still be in the read buffer (caching fetched
      // blocks on local disk is best effort, so "not local" no longer means "not cached"):
      // then the read is served, and must give exactly the model's bytes. Otherwise it must
      // fail fast with the outage code, never zeros.
      const what = `read of ${pid} [${offset}, ${end}) needing remote-only blocks ${needed.map((b) => b.idx).join(',')}`
      const served = await sys.engine.readAt(pid, dest, offset).then(
        (n) => n,
        (err: unknown) => {
          if (isBlockStoreError(err, 'BS_REMOTE_UNAVAILABLE')) return undefined
          throw new Error(
            `${what}: expected BS_REMOTE_UNAVAILABLE, got ${(err as Error).message}`,
            {
              cause: err,
            },
          )
        },
      )
      // Served: only a cache can have answered (the remote refuses every call while down).
      if (served !== undefined) compareRead(dest, served, bytes, pid, offset, length)
      return
    }
  }
  compareRead(dest, await sys.engine.readAt(pid, dest, offset), bytes, pid, offset, length)
}

/** Compares what a read returned (`n` bytes in `dest`) with the model's bytes. */
function compareRead(
  dest: Uint8Array,
  n: number,
  bytes: Uint8Array,
  pid: string,
  offset: number,
  length: number,
): void {
  const end = Math.min(offset + length, bytes.length)
  const want = Math.max(0, end - offset)
  assert.equal(n, want, `read of ${pid} at ${offset} length ${length} returns ${want} bytes`)
  const got = dest.subarray(0, n)
  const expected = bytes.subarray(offset, offset + want)
  if (!Buffer.from(got).equals(Buffer.from(expected))) {
    let i = 0
    while (got[i] === expected[i]) i++
    throw new Error(
      `read of ${pid} at ${offset} (length ${length}, size ${bytes.length}): first difference at byte ${offset + i} (block ${Math.floor((offset + i) / BlockSize)}): got ${got[i]}, model ${expected[i]}`,
    )
  }
}

/** After every step: existence and size of every payload, and reads around what the step touched. */
async function check(
  sys: ModelSystem,
  model: Model,
  state: { down: boolean },
  op: Op,
  step: number,
): Promise<void> {
  for (const pid of PIDS) {
    const bytes = model.get(pid)
    assert.equal(await sys.engine.exists(pid), bytes !== undefined, `exists(${pid})`)
    if (bytes !== undefined)
      assert.equal(await sys.engine.getSize(pid), bytes.size, `getSize(${pid})`)
  }
  const windows: [string, number][] = []
  if (op.k === 'write') windows.push([op.pid, op.offset - 64], [op.pid, op.offset + op.length - 64])
  if (op.k === 'truncate') windows.push([op.pid, op.size - 64])
  if (op.k === 'copy') windows.push([op.dst, 0])
  const r = rng(step + 1)
  const pid = PIDS[Math.floor(r() * PIDS.length)] as string
  const size = model.get(pid)?.size ?? 0
  windows.push([pid, Math.floor(r() * (size + 1))])
  for (const [p, at] of windows) {
    if (!model.has(p)) continue
    await checkRead(sys, model, state, p, Math.max(0, at), 4096)
  }
}

/**
 * Delta debugging (ddmin over chunks of operations): the shortest failing list it finds
 * within `budgetMs`.
 */
export async function shrink(
  config: ModelConfigName,
  ops: readonly Op[],
  budgetMs: number,
): Promise<{ ops: Op[]; failure: ModelFailure | undefined; runs: number }> {
  const deadline = Date.now() + budgetMs
  let current = [...ops]
  let failure: ModelFailure | undefined
  let runs = 0
  let n = 2
  while (current.length >= 2 && Date.now() < deadline) {
    const chunk = Math.ceil(current.length / n)
    let reduced = false
    for (let i = 0; i < current.length && Date.now() < deadline; i += chunk) {
      const candidate = [...current.slice(0, i), ...current.slice(i + chunk)]
      runs++
      const f = await runModel(config, candidate)
      if (f !== undefined) {
        // Everything after the failing step is irrelevant.
        current = candidate.slice(0, f.step + 1)
        failure = f
        n = Math.max(n - 1, 2)
        reduced = true
        break
      }
    }
    if (!reduced) {
      if (chunk === 1) break
      n = Math.min(current.length, n * 2)
    }
  }
  return { ops: current, failure, runs }
}
