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

  it('loads no heavy backend from the package root', async () => {
    await import(pkg.name)
    const loaded = Object.keys((await import('node:module')).createRequire(import.meta.url).cache)
    for (const heavy of ['better-sqlite3', 'pg', '@aws-sdk']) {
      assert.ok(!loaded.some((p) => p.includes(`/node_modules/${heavy}/`)), `${heavy} was loaded`)
    }
  })
})
