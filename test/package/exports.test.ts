/**
 * Imports the BUILT package by its own name (`npm test` builds first), the way a user does,
 * and checks every declared subpath that has a source entry point.
 */
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { describe, it } from 'node:test'

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  name: string
  exports: Record<string, { types: string; default: string }>
}
const root = new URL('../../', import.meta.url)

describe('package exports', () => {
  it('declares the planned subpaths', () => {
    assert.deepEqual(Object.keys(pkg.exports).sort(), [
      '.',
      './app',
      './conformance',
      './postgres',
      './s3',
      './server',
      './sqlite',
    ])
  })

  it('exposes the core names from the package root', async () => {
    const mod = (await import(pkg.name)) as Record<string, unknown>
    for (const name of [
      'BlockSize',
      'HashSize',
      'MinLocalStoreSize',
      'MinReadBufferSize',
      'MinParallelSyncs',
      'MinParallelFetches',
      'DefaultPrefetchWorkers',
      'ContentHash',
      'parseContentHash',
      'BlockState',
      'newFileBlock',
      'isRemote',
      'isDirty',
      'isLocal',
      'isFinalized',
      'hasLocalFile',
      'formatStoreKey',
      'parseStoreKey',
      'keyBelongsToFile',
      'parseBlockIdx',
      'formatBlockId',
      'parseBlockId',
      'assertPayloadId',
      'BlockStoreError',
      'ERROR_CODES',
      'isBlockStoreError',
      'RetentionPolicy',
      'parseRetentionPolicy',
      'validateRetentionPolicy',
      'deduceDefaults',
      'createSystemDetector',
      'formatBytes',
      'clampToInt64',
      'openBlockStore',
      'collectGarbage',
      'LiveSet',
    ]) {
      assert.ok(mod[name] !== undefined, `ditto-blockstore does not export ${name}`)
    }
    assert.equal(mod.BlockSize, 8 * 1024 * 1024)
  })

  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const source = new URL(
      target.default.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'),
      root,
    )
    it(`loads ${subpath} when its entry point exists`, async (t) => {
      if (!existsSync(source)) {
        // Planned subpaths land with their issues; say so loudly rather than pass silently.
        t.skip(`${subpath}: ${source.pathname} does not exist yet`)
        return
      }
      assert.ok(existsSync(new URL(target.default, root)), `${target.default} was not built`)
      assert.ok(existsSync(new URL(target.types, root)), `${target.types} was not built`)
      const specifier = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`
      const mod = (await import(specifier)) as Record<string, unknown>
      assert.ok(Object.keys(mod).length > 0, `${specifier} exports nothing`)
    })
  }

  it('reaches no heavy backend through static imports of the package root', async () => {
    // Walk the static import graph of the built root; dynamic import() is how backends load
    // on demand, so it is not followed.
    const { readFile } = await import('node:fs/promises')
    const { dirname, resolve } = await import('node:path')
    const start = new URL(pkg.exports['.']!.default, root).pathname
    const seen = new Set<string>()
    const packages = new Set<string>()
    const queue = [start]
    while (queue.length > 0) {
      const file = queue.pop()!
      if (seen.has(file)) continue
      seen.add(file)
      const text = await readFile(file, 'utf8')
      for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/gm)) {
        const spec = m[1]!
        if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec))
        else packages.add(spec)
      }
    }
    assert.ok(seen.size > 10, `walked only ${seen.size} files`)
    for (const heavy of ['better-sqlite3', 'pg', '@aws-sdk/client-s3']) {
      assert.ok(!packages.has(heavy), `${heavy} is statically reachable from the root`)
    }
  })
})
