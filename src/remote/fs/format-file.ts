/**
 * The format file at the root of a directory remote store: refuses directories written by a
 * newer layout and directories that hold foreign files.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BlockStoreError } from '../../core/errors.js'
import { atomicReplace, fsError, writeNew } from './fs-io.js'

/** Name of the format file (dot-named: no key ever maps to it). */
export const FORMAT_FILE = '.ditto-remote-format.json'
/** Layout written by this version. */
export const FORMAT_NAME = 'ditto-blockstore/fs-remote'
/** Layout version written by this version; larger versions are refused. */
export const FORMAT_VERSION = 1

/**
 * Creates the root and its format file, or checks an existing one.
 * @throws {BlockStoreError} BS_UNSUPPORTED_FORMAT, BS_INVALID_CONFIG.
 */
export async function openFormat(root: string): Promise<void> {
  const file = join(root, FORMAT_FILE)
  let text: string | undefined
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'ENOENT') throw fsError(err, 'open', root)
  }
  if (text === undefined) {
    const foreign = await readdir(root).then(
      (names) => names.filter((n) => !n.startsWith('.')),
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return []
        throw fsError(err, 'open', root)
      },
    )
    if (foreign.length > 0) {
      throw new BlockStoreError(
        'BS_INVALID_CONFIG',
        `${root} is not empty and is not a remote store (no ${FORMAT_FILE}); refusing to use it`,
        { backend: 'fs', op: 'open' },
      )
    }
    const body = `${JSON.stringify({ format: FORMAT_NAME, version: FORMAT_VERSION })}\n`
    await atomicReplace(file, (tmp) => writeNew(tmp, new TextEncoder().encode(body))).catch(
      (err: unknown) => {
        throw fsError(err, 'open', root)
      },
    )
    return
  }
  let parsed: { format?: unknown; version?: unknown }
  try {
    parsed = JSON.parse(text) as typeof parsed
  } catch (err) {
    throw new BlockStoreError('BS_UNSUPPORTED_FORMAT', `${file} is not valid JSON`, {
      cause: err,
      backend: 'fs',
    })
  }
  if (parsed.format !== FORMAT_NAME || typeof parsed.version !== 'number') {
    throw new BlockStoreError('BS_UNSUPPORTED_FORMAT', `${file} names an unknown format`, {
      backend: 'fs',
    })
  }
  if (parsed.version > FORMAT_VERSION) {
    throw new BlockStoreError(
      'BS_UNSUPPORTED_FORMAT',
      `${root} uses fs remote format ${parsed.version}; this version reads up to ${FORMAT_VERSION}`,
      { backend: 'fs' },
    )
  }
}
